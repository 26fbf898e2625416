// Patrol tracks (巡逻轨迹): the cleaned pieces of track each patrol team walked or rode in
// the chosen month, coloured by the kind of team. A track is a team's, never a person's:
// its popup says the team, how many were on it, how far and when, and the clues found.
import { card } from "../core/dom.js";
import { term, vocabularyValues, word } from "../core/i18n.js";
import { chinaTime, monthCollection, monthInterval, PATROL_READERS, patrolMonthControl } from "./patrolMonth.js";

// Volunteers in purple (the purple vests, 紫马甲), the police navy, couriers orange (the red
// riders, kept off the red that marks an unpatrolled street), grid members teal, backing
// units brown.
const KIND_COLOURS = {
  volunteers: "#7e22ce",
  police: "#1e3a8a",
  couriers: "#ea580c",
  grid_members: "#0f766e",
  units: "#854d0e",
};
const UNKNOWN_COLOUR = "#4b5563";
const style = (feature) => ({
  color: KIND_COLOURS[feature?.properties?.team_kind] || UNKNOWN_COLOUR,
  weight: 3,
  opacity: 0.85,
  fill: false,
});

let drawn = null; // the layer the tracks are drawn in, once it has had one
const drawnKinds = () => new Set((drawn?.getLayers() ?? []).map((path) => path.feature.properties.team_kind));

export default {
  id: "patrolTracks",
  title: "patrol_layer_tracks",
  className: "onemap-patrol-track",
  zIndex: 440,
  visible: false,
  readers: PATROL_READERS,
  source: monthCollection("patrol_tracks", (month) => ({ datetime: monthInterval(month) }), {
    limit: 1000,
    cap: 10000,
  }),
  style,
  // the kinds of team among the tracks drawn (all five would crowd the legend)
  legend: () =>
    vocabularyValues("team_kinds").filter((kind) => drawnKinds().has(kind)).map((kind) => ({
      style: style({ properties: { team_kind: kind } }),
      label: word("patrol_legend_track", { kind: term("team_kinds", kind) }),
    })),
  bind: (feature, path, { layer }) => {
    drawn = layer;
  },
  popup: (p) =>
    card(p.team_name, [
      [word("patrol_team_kind"), term("team_kinds", p.team_kind)],
      [word("patrol_members"), p.members],
      [word("patrol_length"), word("patrol_kilometres", { km: (p.length_m / 1000).toFixed(1) })],
      [word("patrol_started_at"), chinaTime(p.started_at)],
      [word("patrol_ended_at"), chinaTime(p.ended_at)],
      [word("patrol_clues"), p.clues],
    ]),
  controls: [patrolMonthControl],
};
