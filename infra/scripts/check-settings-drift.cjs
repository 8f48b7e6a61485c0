#!/usr/bin/env node
'use strict';
/*
 * azd preprovision hook (azure.yaml): stops a provision that would silently reset the deployed responder's settings.
 *
 * The template owns every app setting and replaces the whole set on each provision (infra/main.bicep), from the azd
 * environment's values, each setting falling back to its default when the environment does not define it. An
 * environment that lacks values the deployed app has (a provision from another machine, from CI, from a fresh
 * `azd env new` of the same name) would turn a live app back to dry-run, empty its break-glass lists and drop its
 * webhook, without a word. Keep the values in one shared place (azd remote environment state: docs/deploy.md), and
 * this hook catches the rest:
 *   - a setting the deployed app has, with a value other than the default, that this environment does not define:
 *     the provision stops (exit 1), listing each one; ALLOW_SETTINGS_RESET=true lets it through on purpose;
 *   - a setting this environment sets explicitly to a weaker value (live -> dry-run, a break-glass list emptied, the
 *     webhook removed): the provision goes on, under a warning that says so.
 * It reads the deployed settings through Azure Resource Manager with azd's own sign-in (the deployer can read them:
 * Microsoft.Web/sites/config/list/action). The first provision (no app yet) has nothing to compare.
 */
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const env = process.env;
const arm = (env.ARM_ENDPOINT || 'https://management.azure.com').replace(/\/$/, '');

/** Settings whose loss weakens containment or silences it: named first, and a downgrade warned about. */
const CRITICAL = {
    CONTAINMENT_MODE: 'a live responder would only watch (dry-run)',
    NEVER_CONTAIN: 'break-glass accounts would no longer be excluded',
    NEVER_CONTAIN_GROUP_IDS: 'break-glass groups would no longer be excluded',
    NOTIFY_WEBHOOK_URL: 'the SOC would get no notice',
    PUSH_BLOCK_GROUP_ID: 'the push block would have no group',
};
/** Values never printed. */
const SECRET = new Set(['NOTIFY_WEBHOOK_URL']);

/** Each app setting this template sets from an azd variable of the same name, with its default ("${NAME=default}"). */
function templateSettings() {
    const file = JSON.parse(readFileSync(join(__dirname, '..', 'main.parameters.json'), 'utf8'));
    const out = new Map();
    for (const { value } of Object.values(file.parameters)) {
        const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=([^}]*))?\}$/.exec(String(value));
        if (m) out.set(m[1], m[2] ?? '');
    }
    return out;
}

function token() {
    const out = execFileSync('azd', ['auth', 'token', '--scope', `${arm}/.default`, '--output', 'json'], {
        encoding: 'utf8',
    });
    return JSON.parse(out).token;
}

async function call(method, path, bearer) {
    const res = await fetch(`${arm}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}` },
        signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path.split('?')[0]} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
}

/** The function app this azd environment deployed (tags azd-env-name and azd-service-name=api), if any. */
async function deployedApp(bearer) {
    const filter = encodeURIComponent(`tagName eq 'azd-env-name' and tagValue eq '${env.AZURE_ENV_NAME}'`);
    let next = `/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resources?$filter=${filter}&api-version=2021-04-01`;
    while (next) {
        const page = await call('GET', next, bearer);
        const app = (page.value || []).find(
            (r) => String(r.type).toLowerCase() === 'microsoft.web/sites' && r.tags?.['azd-service-name'] === 'api',
        );
        if (app) return app;
        next = page.nextLink ? page.nextLink.slice(arm.length) : '';
    }
    return undefined;
}

const normal = (v) => {
    const t = String(v ?? '').trim();
    return /^(true|false)$/i.test(t) ? t.toLowerCase() : t;
};
const show = (name, v) => (SECRET.has(name) ? (v ? '(set)' : '(empty)') : JSON.stringify(v));
/** What this provision will set: the environment's value, else the template's default. */
const incoming = (name, defaults) => (name in env ? env[name] : defaults.get(name));

/** Whether a new value weakens containment compared with the deployed one. */
function weakens(name, deployed, next) {
    if (name === 'CONTAINMENT_MODE') return normal(deployed) === 'live' && normal(next) !== 'live';
    return normal(deployed) !== '' && normal(next) === '';
}

async function main() {
    if (!env.AZURE_ENV_NAME || !env.AZURE_SUBSCRIPTION_ID) {
        console.log('check-settings-drift: no AZURE_ENV_NAME or AZURE_SUBSCRIPTION_ID: nothing to compare.');
        return 0;
    }
    const bearer = token();
    const app = await deployedApp(bearer);
    if (!app) {
        console.log(`check-settings-drift: nothing deployed for environment ${env.AZURE_ENV_NAME} yet.`);
        return 0;
    }
    const deployed = (await call('POST', `${app.id}/config/appsettings/list?api-version=2025-03-01`, bearer))
        .properties;
    const defaults = templateSettings();
    const resets = [];
    const downgrades = [];
    const changes = [];
    for (const [name, fallback] of defaults) {
        if (!(name in deployed)) continue;
        const before = deployed[name];
        const after = incoming(name, defaults);
        // A Key Vault reference stands for the secret the environment holds (an akvs:// reference or the URL).
        const same =
            name === 'NOTIFY_WEBHOOK_URL'
                ? (normal(before) === '') === (normal(after) === '')
                : normal(before) === normal(after);
        if (same) continue;
        if (!(name in env) && normal(before) !== normal(fallback)) resets.push({ name, before, after });
        else if (name in CRITICAL && weakens(name, before, after)) downgrades.push({ name, before, after });
        else changes.push({ name, before, after });
    }
    for (const c of changes)
        console.log(`check-settings-drift: ${c.name} changes: ${show(c.name, c.before)} -> ${show(c.name, c.after)}`);
    if (downgrades.length > 0) {
        console.warn('');
        console.warn('!!! WARNING: this provision weakens the deployed responder, as this environment asks:');
        for (const d of downgrades)
            console.warn(`!!!   ${d.name}: ${show(d.name, d.before)} -> ${show(d.name, d.after)}: ${CRITICAL[d.name]}`);
        console.warn('');
    }
    if (resets.length === 0) return 0;
    const critical = resets.filter((r) => r.name in CRITICAL);
    const lines = [...critical, ...resets.filter((r) => !(r.name in CRITICAL))].map(
        (r) =>
            `    ${r.name}: deployed ${show(r.name, r.before)}, this environment does not set it: it would become ${show(r.name, r.after)}` +
            (CRITICAL[r.name] ? ` (${CRITICAL[r.name]})` : ''),
    );
    const allowed = normal(env.ALLOW_SETTINGS_RESET) === 'true';
    (allowed ? console.warn : console.error)(
        [
            '',
            `!!! ${allowed ? 'WARNING' : 'STOPPED'}: provisioning ${app.name} from this azd environment would reset ${resets.length} setting(s) it does not define:`,
            ...lines,
            'This environment is not the one the app was deployed from (another machine, CI, a new `azd env new`).',
            'Use the shared remote environment state (docs/deploy.md), or `azd env set` each value, then provision again.',
            allowed
                ? 'ALLOW_SETTINGS_RESET=true: resetting them anyway.'
                : 'To reset them on purpose: ALLOW_SETTINGS_RESET=true azd provision',
            '',
        ].join('\n'),
    );
    return allowed ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`check-settings-drift: cannot compare with the deployed settings: ${e.message}`);
        console.error('Sign in with azd auth login (or set ALLOW_SETTINGS_RESET=true to provision without the check).');
        process.exit(normal(env.ALLOW_SETTINGS_RESET) === 'true' ? 0 : 1);
    },
);
