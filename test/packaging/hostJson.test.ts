import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Nothing the SOC relies on may be sampled or filtered away: incidents ("MFA push attack detected"), containment
 * outcomes, needs-attention and releases are traces the functions write with context.log, and failures are
 * exceptions. host.json must keep every trace and exception (adaptive sampling is on by default in the Functions
 * host: https://learn.microsoft.com/azure/azure-functions/functions-host-json#applicationinsightssamplingsettings)
 * and must not filter the functions' own log categories below Information.
 */
const root = join(__dirname, '..', '..');

interface HostJson {
    telemetryMode?: string;
    logging?: {
        logLevel?: Record<string, string>;
        applicationInsights?: { samplingSettings?: { isEnabled?: boolean; excludedTypes?: string } };
    };
}

const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as HostJson;
const LEVELS = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];

/** The level the host applies to a log category: the longest matching category prefix wins, then "default". */
function effectiveLevel(category: string): string {
    const levels = host.logging?.logLevel ?? {};
    const match = Object.keys(levels)
        .filter((k) => k !== 'default' && (category === k || category.startsWith(`${k}.`)))
        .sort((a, b) => b.length - a.length)[0];
    return (match ? levels[match]! : (levels.default ?? 'Information')).toLowerCase();
}

/** The names the functions register, read from their registrations in functions/. */
function functionNames(): string[] {
    return readdirSync(join(root, 'functions'))
        .filter((f) => f.endsWith('.ts'))
        .flatMap((f) => [
            ...readFileSync(join(root, 'functions', f), 'utf8').matchAll(
                /\bapp\.(?:http|eventHub|timer|\w+)\('(\w+)'/g,
            ),
        ])
        .map((m) => m[1]!);
}

describe('host.json keeps what the SOC alerts on', () => {
    it('sends telemetry through the Application Insights logger, whose sampling host.json configures', () => {
        // In OpenTelemetry mode logging.applicationInsights is ignored and the sampling below would not apply.
        expect(host.telemetryMode ?? 'default').not.toMatch(/opentelemetry/i);
    });

    it('never samples traces or exceptions', () => {
        const sampling = host.logging?.applicationInsights?.samplingSettings;
        const excluded = (sampling?.excludedTypes ?? '')
            .split(';')
            .map((t) => t.trim().toLowerCase())
            .filter(Boolean);
        const unsampled = (type: string) => sampling?.isEnabled === false || excluded.includes(type);
        expect({ trace: unsampled('trace'), exception: unsampled('exception') }).toEqual({
            trace: true,
            exception: true,
        });
    });

    it("lets every function's own logs through at Information", () => {
        const names = functionNames();
        expect(names).toEqual(
            expect.arrayContaining([
                'signInEvents',
                'containmentTimer',
                'listIncidents',
                'userIncidents',
                'releaseUser',
            ]),
        );
        for (const name of names)
            for (const category of [`Function.${name}.User`, `Function.${name}`]) {
                const level = effectiveLevel(category);
                expect({ category, level, passes: LEVELS.indexOf(level) <= LEVELS.indexOf('information') }).toEqual({
                    category,
                    level,
                    passes: true,
                });
            }
    });

    it('is not overridden from the app settings', () => {
        // AzureFunctionsJobHost__logging__... app settings would replace these host.json values in Azure.
        const templates = ['infra/main.bicep', 'infra/app/resources.bicep'].map((f) =>
            readFileSync(join(root, f), 'utf8'),
        );
        for (const t of templates) expect(t).not.toContain('AzureFunctionsJobHost__');
    });
});
