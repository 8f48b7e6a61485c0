import { loadCheckpointStoreConfig, loadEventHubConfig, loadLagWarningMs } from '../settings/eventHub';
import { ConfigError } from '../errors';
import type { Runtime } from '../runtime';
import { Finding, ok, problem } from './check';
import type { HealthCheck, HealthContext } from './context';

const TITLE = 'Settings';

/** What the app's own validation says about these settings. */
export interface SettingsReading {
    readonly error?: { setting: string; message: string };
    readonly warnings: readonly string[];
    readonly mode?: 'dry-run' | 'live';
}

/** Reads the settings exactly as the function app does at start-up (Runtime.validate), plus the doctor's own. */
export function readSettings(runtime: Runtime, env: HealthContext['env']): SettingsReading {
    try {
        const warnings = runtime.validate();
        loadEventHubConfig(env);
        loadCheckpointStoreConfig(env);
        loadLagWarningMs(env);
        return { warnings, mode: runtime.containment.mode };
    } catch (e) {
        if (e instanceof ConfigError) return { error: { setting: e.setting, message: e.message }, warnings: [] };
        throw e;
    }
}

export function evaluateSettings(r: SettingsReading): Finding[] {
    if (r.error) {
        return [
            problem(
                'failed',
                'settings',
                TITLE,
                r.error.message,
                `Fix ${r.error.setting} in the app settings (azd env set … && azd provision); the function app does not start until then.`,
                { setting: r.error.setting },
            ),
        ];
    }
    const findings: Finding[] = [
        ok(
            'settings',
            TITLE,
            r.mode === 'live'
                ? 'valid; CONTAINMENT_MODE=live: attacked users are contained'
                : 'valid; CONTAINMENT_MODE=dry-run: incidents are recorded and notified, nobody is contained (set live once every check here is ok)',
            { containmentMode: r.mode },
        ),
    ];
    for (const w of r.warnings) {
        // Each warning is what is weak, then what to do: "…sign-in. Set RESET_PASSWORD=true, or …".
        const cut = w.indexOf('. ');
        const [what, fix] = cut > 0 ? [w.slice(0, cut + 1), w.slice(cut + 2)] : [w, 'See the warning.'];
        findings.push(problem('warning', 'settings.containment', 'Containment settings', what, fix));
    }
    return findings;
}

export const settingsCheck: HealthCheck = {
    id: 'settings',
    title: TITLE,
    app: true,
    rights: () => 'none',
    run: async (ctx) => evaluateSettings(readSettings(ctx.runtime, ctx.env)),
};
