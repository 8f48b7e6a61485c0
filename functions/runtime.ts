import { app } from '@azure/functions';

import { createRuntime, Runtime } from '../shared/runtime';
import { startAzureMonitorTelemetry } from '../shared/telemetry/azureMonitor';

let runtime: Runtime | undefined;

/**
 * The worker's runtime, built from process.env on first use. Telemetry starts with it (only when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set), and is flushed when the host stops the worker gracefully: metrics are
 * exported once a minute, so a scale-in would otherwise lose the last minute's.
 */
export function getRuntime(): Runtime {
    if (!runtime) {
        const telemetry = startAzureMonitorTelemetry(process.env);
        app.hook.appTerminate(() => telemetry.shutdown());
        runtime = createRuntime({ env: process.env, telemetry });
    }
    return runtime;
}
