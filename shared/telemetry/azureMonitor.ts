import type { TokenCredential } from '@azure/identity';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';

import { readSetting } from '../settings/readSetting';
import { consoleLogger, Logger } from '../logger';
import { createTelemetry, NO_TELEMETRY, Telemetry } from './telemetry';

type Env = Readonly<Record<string, string | undefined>>;

/** The identity an APPLICATIONINSIGHTS_AUTHENTICATION_STRING names: a user-assigned one, or the system-assigned one. */
export interface IngestionIdentity {
    readonly clientId?: string;
}

/**
 * Reads the two telemetry settings; a bad value is a ConfigError naming it. `undefined` when no connection string is
 * set: then nothing is started at all (tests, local runs, the CLI).
 */
export function readTelemetrySettings(
    env: Env,
): { connectionString: string; identity?: IngestionIdentity } | undefined {
    const connectionString = readSetting(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING');
    const auth = readSetting(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
    if (!connectionString) return undefined;
    if (!auth) return { connectionString };
    const clientId = /ClientId=([0-9a-fA-F-]{36})/i.exec(auth)?.[1]?.toLowerCase();
    return { connectionString, identity: clientId ? { clientId } : {} };
}

/**
 * The distro's options: our metrics and events only, none of them sampled.
 *
 * - Metrics are never sampled (the exporter sends every data point with sampleRate 100); custom events are log
 *   records, sampled only when `enableTraceBasedSamplingForLogs` is on, which is off here. `samplingRatio: 1` with
 *   `tracesPerSecond: 0` keeps the trace sampler out of the way too (the default is a 5-per-second rate limit).
 * - No auto-instrumentation, standard metrics, performance counters or live metrics: the Functions host, in its
 *   classic telemetry mode, already sends requests, logs and live metrics, and duplicates would be paid twice.
 * - The credential is passed explicitly: the distro reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING only for live
 *   metrics, so without it every export would be refused by a component with local auth off.
 */
export function azureMonitorOptions(
    connectionString: string,
    credential: TokenCredential | undefined,
): AzureMonitorOpenTelemetryOptions {
    const off = { enabled: false };
    return {
        azureMonitorExporterOptions: { connectionString, ...(credential ? { credential } : {}) },
        samplingRatio: 1,
        tracesPerSecond: 0,
        enableTraceBasedSamplingForLogs: false,
        enableLiveMetrics: false,
        enableStandardMetrics: false,
        enablePerformanceCounters: false,
        instrumentationOptions: {
            http: off,
            azureSdk: off,
            mongoDb: off,
            mySql: off,
            postgreSql: off,
            redis: off,
            redis4: off,
            bunyan: off,
            winston: off,
            console: off,
        },
    };
}

/**
 * Starts the Azure Monitor OpenTelemetry distro in the function app's worker and returns the responder's telemetry
 * over it; without APPLICATIONINSIGHTS_CONNECTION_STRING, returns NO_TELEMETRY and loads nothing. A bad setting is a
 * ConfigError (start-up stops, naming it); a distro that fails to start is logged and the app runs without
 * telemetry. Call once per process, before the first batch (the distro replaces the global OpenTelemetry providers).
 */
export function startAzureMonitorTelemetry(env: Env, logger: Logger = consoleLogger): Telemetry {
    const settings = readTelemetrySettings(env);
    if (!settings) return NO_TELEMETRY;
    try {
        return start(settings);
    } catch (e) {
        // Detection and containment never depend on telemetry: a distro that cannot start costs the metrics only.
        logger.error(`Telemetry to Application Insights could not start, none is sent: ${(e as Error).message}`);
        return NO_TELEMETRY;
    }
}

function start(settings: NonNullable<ReturnType<typeof readTelemetrySettings>>): Telemetry {
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded only where telemetry is on */
    const distro = require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
    const { metrics } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const { logs } = require('@opentelemetry/api-logs') as typeof import('@opentelemetry/api-logs');
    const credential = settings.identity
        ? new (require('@azure/identity') as typeof import('@azure/identity')).ManagedIdentityCredential(
              settings.identity.clientId ? { clientId: settings.identity.clientId } : {},
          )
        : undefined;
    /* eslint-enable @typescript-eslint/no-require-imports */
    distro.useAzureMonitor(azureMonitorOptions(settings.connectionString, credential));
    return createTelemetry({
        meterProvider: metrics.getMeterProvider(),
        loggerProvider: logs.getLoggerProvider(),
        shutdown: () => distro.shutdownAzureMonitor(),
    });
}
