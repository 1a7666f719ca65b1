/**
 * The layers of src/ and the one direction imports may point (README.md, "Layout"). A folder may import itself and
 * the folders listed for it; anything else is a back arrow. The lab may use anything; the product never uses the lab,
 * except the CLI's lab front doors named in LAB_ENTRY_POINTS.
 */

/** LAYERS maps each top-level folder of src/ to the folders it may import. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  api: [],
  placement: ['api'],
  queueing: ['api', 'placement'],
  sim: ['api', 'placement', 'queueing'],
  runtime: ['api'],
  wire: ['api', 'runtime'],
  clusters: ['api', 'runtime'],
  cache: ['api', 'runtime', 'clusters'],
  controllers: ['api', 'runtime', 'wire', 'clusters', 'cache', 'placement', 'queueing'],
  operator: ['api', 'runtime', 'wire', 'clusters', 'cache', 'placement', 'queueing', 'controllers'],
  agent: ['api', 'runtime', 'wire'],
  cli: ['api', 'runtime', 'wire', 'clusters', 'cache', 'placement', 'queueing', 'sim', 'controllers', 'operator', 'agent'],
  lab: ['api', 'runtime', 'wire', 'clusters', 'cache', 'placement', 'queueing', 'sim', 'controllers', 'operator', 'agent'],
};

/**
 * SUBLAYERS rules the folders inside a layer: the workload and Site controllers share only controllers/framework,
 * never each other's files, and the framework imports none of them.
 */
export const SUBLAYERS: Readonly<Record<string, readonly string[]>> = {
  'controllers/framework': [],
  'controllers/site': ['controllers/framework'],
  'controllers/training': ['controllers/framework'],
  'controllers/inference': ['controllers/framework'],
  'controllers/queues': ['controllers/framework'],
};

/** LAB_ENTRY_POINTS are the product files allowed to import src/lab: the CLI commands that drive the lab. */
export const LAB_ENTRY_POINTS: readonly string[] = ['cli/commands/lab.ts', 'cli/commands/node-reporter.ts'];
