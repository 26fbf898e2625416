// Every layer of the one map, in the order the layer control and the legend list them.
// This is the one place a layer is registered: the control, the legend, the panes and the
// loaders are all made from this list.
import subdistricts from "./subdistricts.js";
import communities from "./communities.js";
import grids from "./grids.js";
import water from "./water.js";
import compounds from "./compounds.js";
import buildings from "./buildings.js";
import serviceAreas from "./serviceAreas.js";
import uncovered from "./uncovered.js";
import events from "./events.js";
import patrolTracks from "./patrolTracks.js";
import streetPatrols from "./streetPatrols.js";
import blindSpots from "./blindSpots.js";

export const LAYERS = [subdistricts, communities, grids, water, compounds, buildings, serviceAreas, uncovered, events, patrolTracks, streetPatrols, blindSpots];
