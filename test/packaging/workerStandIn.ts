import { spawnSync } from 'node:child_process';

/** A function as the Node.js worker hands it to the host: its name, its bindings (named), its retry options. */
export interface RegisteredFunction {
    readonly name: string;
    readonly bindings: Record<string, unknown>[];
    readonly retryOptions?: Record<string, unknown>;
}

export interface LoadResult {
    readonly registered: RegisteredFunction[];
    /** The error that stopped loading, as the worker reports it ("Worker was unable to load entry point ..."). */
    readonly loadError?: string;
    readonly stderr: string;
}

/**
 * Runs in a plain Node.js process, as the Azure Functions Node.js worker does: it makes `require('@azure/functions-core')`
 * return the worker's API (Azure/azure-functions-nodejs-worker src/setupCoreModule.ts proxies Module.prototype.require
 * the same way), then requires each entry point in order and stops at the first that throws (src/startApp.ts). What the
 * app registers is printed as JSON, with each binding named as in the host's rawBindings (src/coreApi/registerFunction.ts).
 */
const WORKER_STAND_IN = `
const Module = require('node:module');
const registered = [];
class Disposable { constructor(fn) { this.dispose = fn; } }
const coreApi = {
  version: 'stand-in',
  hostVersion: '4.0.0',
  registerHook: () => new Disposable(() => {}),
  setProgrammingModel: () => {},
  getProgrammingModel: () => undefined,
  log: () => {},
  registerFunction: (metadata, callback) => {
    if (typeof callback !== 'function') throw new Error('registerFunction without a handler for ' + metadata.name);
    registered.push({
      name: metadata.name,
      bindings: Object.entries(metadata.bindings).map(([name, binding]) => ({ ...binding, name })),
      ...(metadata.retryOptions ? { retryOptions: metadata.retryOptions } : {}),
    });
    return new Disposable(() => {});
  },
  Disposable,
};
Module.prototype.require = new Proxy(Module.prototype.require, {
  apply(target, thisArg, args) {
    return args[0] === '@azure/functions-core' ? coreApi : Reflect.apply(target, thisArg, args);
  },
});
let loadError;
for (const file of JSON.parse(process.argv[1])) {
  try {
    require(file);
  } catch (e) {
    loadError = String((e && e.message) || e);
    break;
  }
}
process.stdout.write(JSON.stringify({ registered, loadError }) + '\\n');
`;

/** Loads the app's entry points (absolute paths, in the worker's order) with these settings as the environment. */
export function loadLikeTheWorker(
    appDir: string,
    entryPoints: readonly string[],
    settings: Record<string, string>,
): LoadResult {
    const run = spawnSync(process.execPath, ['-e', WORKER_STAND_IN, JSON.stringify(entryPoints)], {
        cwd: appDir,
        env: { PATH: process.env.PATH ?? '', ...settings },
        encoding: 'utf8',
        timeout: 60_000,
    });
    if (run.status !== 0) throw new Error(`the worker stand-in failed (${run.status}): ${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Omit<LoadResult, 'stderr'>;
    return { ...result, stderr: run.stderr };
}
