import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { metrics } from '@opentelemetry/api';

import { ConfigError } from '../../shared/errors';
import { createRuntime } from '../../shared/runtime';
import {
    azureMonitorOptions,
    readTelemetrySettings,
    startAzureMonitorTelemetry,
} from '../../shared/telemetry/azureMonitor';
import { EVENTS, METRICS } from '../../shared/telemetry/instruments';
import { NO_TELEMETRY } from '../../shared/telemetry/telemetry';
import { runCli } from '../support/cliRun';

const CONNECTION =
    'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const SAMPLE = join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson');

describe('telemetry settings', () => {
    it('starts nothing without a connection string', () => {
        expect(readTelemetrySettings({})).toBeUndefined();
        expect(startAzureMonitorTelemetry({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' })).toBe(
            NO_TELEMETRY,
        );
    });

    it('takes the ingestion identity from APPLICATIONINSIGHTS_AUTHENTICATION_STRING, as the host does', () => {
        expect(
            readTelemetrySettings({
                APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${CLIENT_ID};Authorization=AAD`,
            }),
        ).toEqual({ connectionString: CONNECTION, identity: { clientId: CLIENT_ID } });
        expect(
            readTelemetrySettings({
                APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
            }),
        ).toEqual({ connectionString: CONNECTION, identity: {} });
        expect(readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION })).toEqual({
            connectionString: CONNECTION,
        });
    });

    it('stops start-up naming a bad setting', () => {
        expect(() => readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'IngestionEndpoint=x' })).toThrow(
            ConfigError,
        );
        expect(() => readTelemetrySettings({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'nonsense' })).toThrow(
            /APPLICATIONINSIGHTS_CONNECTION_STRING/,
        );
        expect(() =>
            readTelemetrySettings({
                APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key',
            }),
        ).toThrow(/APPLICATIONINSIGHTS_AUTHENTICATION_STRING/);
    });

    it('asks the distro for our telemetry only, unsampled, with the credential passed explicitly', () => {
        const credential = { getToken: async () => null };
        const options = azureMonitorOptions(CONNECTION, credential);
        expect(options).toMatchObject({
            azureMonitorExporterOptions: { connectionString: CONNECTION, credential },
            samplingRatio: 1,
            tracesPerSecond: 0,
            enableTraceBasedSamplingForLogs: false,
            enableLiveMetrics: false,
            enableStandardMetrics: false,
            enablePerformanceCounters: false,
        });
        for (const [name, config] of Object.entries(options.instrumentationOptions!)) {
            expect({ name, enabled: config.enabled }).toEqual({ name, enabled: false });
        }
        expect(azureMonitorOptions(CONNECTION, undefined).azureMonitorExporterOptions).not.toHaveProperty('credential');
    });

    it('starts the distro with the identity of the authentication string, and survives one that fails', () => {
        // Every check is inside the isolated module registry's callback.
        expect.assertions(4);
        const calls: unknown[] = [];
        let fail = false;
        jest.isolateModules(() => {
            jest.doMock('@azure/monitor-opentelemetry', () => ({
                useAzureMonitor: (options: unknown) => {
                    if (fail) throw new Error('cannot start');
                    calls.push(options);
                },
                shutdownAzureMonitor: async () => undefined,
            }));
            const isolated: typeof import('../../shared/telemetry/azureMonitor') =
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                require('../../shared/telemetry/azureMonitor');
            const env = {
                APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${CLIENT_ID};Authorization=AAD`,
            };
            const errors: string[] = [];
            const logger = {
                log: () => undefined,
                warn: () => undefined,
                error: (m: unknown) => void errors.push(String(m)),
            };
            expect(isolated.startAzureMonitorTelemetry(env, logger)).not.toBe(NO_TELEMETRY);
            const options = calls[0] as { azureMonitorExporterOptions: { credential: object }; samplingRatio: number };
            expect(options.samplingRatio).toBe(1);
            expect(options.azureMonitorExporterOptions.credential.constructor.name).toBe('ManagedIdentityCredential');
            fail = true;
            const telemetry = isolated.startAzureMonitorTelemetry(env, logger);
            expect(errors).toEqual([expect.stringContaining('could not start, none is sent: cannot start')]);
            telemetry.recordsRead(1);
        });
        jest.dontMock('@azure/monitor-opentelemetry');
    });

    it('is off in every runtime the CLI and tests build, whatever the environment holds', async () => {
        const env = { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION };
        expect(createRuntime({ env, store: { kind: 'memory' } }).telemetry).toBe(NO_TELEMETRY);
        const { code } = await runCli(['replay', SAMPLE, '--json'], { env });
        expect(code).toBe(0);
        // No exporter was started: the global OpenTelemetry providers are still the API's no-op ones.
        expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
    });

    it('docs/operate.md lists every metric with its dimensions, and a KQL query for every metric and event', () => {
        const readme = readFileSync(join(__dirname, '..', '..', 'docs', 'operate.md'), 'utf8');
        const kql = [...readme.matchAll(/```kusto\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');
        for (const spec of Object.values(METRICS)) {
            const row = readme.split('\n').find((l) => l.startsWith(`| \`${spec.name}\``));
            expect({ name: spec.name, row: row !== undefined }).toEqual({ name: spec.name, row: true });
            for (const dim of Object.keys(spec.dimensions)) expect(row).toContain(`\`${dim}\``);
            expect(kql).toContain(`"${spec.name}"`);
        }
        for (const event of Object.values(EVENTS)) {
            expect(kql).toContain(`"${event.name}"`);
            const row = readme.split('\n').find((l) => l.startsWith(`| \`${event.name}\``))!;
            for (const p of event.properties) expect(row).toContain(`\`${p}\``);
        }
    });
});
