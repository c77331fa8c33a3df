// The page imports uPlot by the URL the dashboard serves it at (/assets/vendor/uplot.js, read from
// node_modules by static-assets.ts); this gives that path uPlot's own types for the typecheck.
import uPlot from 'uplot';

export default uPlot;
