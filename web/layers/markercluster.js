// Leaflet.markercluster is a UMD script that extends a global `L`; Leaflet's ES module
// build defines none. Imported before the plugin (web/layers/events.js), this gives it one:
// a copy of the module's names, so the classes it extends are Leaflet's own.
import * as L from "leaflet";

window.L = { ...L };
