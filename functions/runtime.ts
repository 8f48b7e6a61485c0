import { createRuntime, Runtime } from '../shared/runtime';

let runtime: Runtime | undefined;

/** The worker's runtime, built from process.env on first use. */
export function getRuntime(): Runtime {
    runtime ??= createRuntime({ env: process.env });
    return runtime;
}
