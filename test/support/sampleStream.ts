import {
    envelope,
    guid,
    managedIdentitySignIn,
    mfaFromToken,
    pushApproved,
    pushDenied,
    pushTimeout,
    servicePrincipalSignIn,
    signIn,
    User,
    user,
    wrongPassword,
} from './signInFactory';

/** A seeded PRNG (mulberry32), so the bundled sample is the same on every run. */
export function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const FIRST_NAMES = [
    'Adele',
    'Alex',
    'Allan',
    'Diego',
    'Grady',
    'Henrietta',
    'Isaiah',
    'Joni',
    'Johanna',
    'Lee',
    'Lidia',
    'Lynne',
    'Miriam',
    'Nestor',
    'Patti',
    'Pradeep',
    'Ava',
    'Noah',
    'Mila',
    'Ravi',
];
const LAST_NAMES = [
    'Vance',
    'Wilber',
    'Deyoung',
    'Soto',
    'Archie',
    'Mueller',
    'Langer',
    'Sherman',
    'Lauer',
    'Gu',
    'Holloway',
    'Robbins',
    'Bowen',
    'Wilke',
    'Fernandez',
    'Gupta',
];
const APPS = ['OfficeHome', 'Microsoft Teams', 'Outlook Mobile', 'Azure Portal', 'SharePoint Online', 'My Apps'];

export const ATTACKED_USER: User = user('Megan Bowen');
export const ATTACKER_IPS = ['185.220.101.34', '185.220.101.47'];
export const SAMPLE_START = new Date('2026-11-02T08:00:00Z');

/**
 * The bundled sample: two hours of a 41-user tenant's sign-in stream as Entra's diagnostic settings deliver it (one
 * Event Hub message per line, a few to twenty records each), with noise from all four categories, ordinary MFA
 * mishaps (a declined or unanswered prompt here and there), one push-bombing attack with duplicate MFA rows and a late
 * delivery, and the victim finally approving a prompt.
 */
export function buildSampleStream(): string {
    const random = rng(20261102);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const at = (minute: number) => new Date(SAMPLE_START.getTime() + minute * 60_000);
    const users: User[] = [];
    for (let i = 0; i < 40; i++)
        users.push(
            user(
                `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[(i * 7) % LAST_NAMES.length]}${i >= 20 ? ' II' : ''}`,
            ),
        );

    const timed: Array<{ t: number; record: unknown }> = [];
    const add = (record: Record<string, unknown>, minute: number) => timed.push({ t: minute, record });

    for (const [n, u] of users.entries()) {
        const home = `198.51.100.${10 + n}`;
        const sessions = 2 + Math.floor(random() * 4);
        for (let s = 0; s < sessions; s++) {
            const m = random() * 118;
            const app = pick(APPS);
            const roll = random();
            if (roll < 0.08) add(pushDenied({ user: u, at: at(m), ip: home, app }), m);
            else if (roll < 0.14) add(pushTimeout({ user: u, at: at(m), ip: home, app }), m);
            else if (roll < 0.22) add(wrongPassword({ user: u, at: at(m), ip: home, app }), m);
            // A legitimate "denied, then approved": one accidental tap, nowhere near an attack.
            if (roll < 0.08 || roll >= 0.14) add(pushApproved({ user: u, at: at(m + 0.5), ip: home, app }), m + 0.5);
            for (let k = 0; k < 6; k++) {
                const mm = m + 1 + random() * 20;
                add(
                    mfaFromToken({
                        user: u,
                        at: at(mm),
                        ip: home,
                        app: pick(APPS),
                        category: 'NonInteractiveUserSignInLogs',
                    }),
                    mm,
                );
            }
            add(
                signIn({
                    user: u,
                    at: at(m + 2),
                    ip: home,
                    app,
                    resultType: '50140',
                    failureReason:
                        "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
                }),
                m + 2,
            );
        }
    }
    for (let k = 0; k < 120; k++) {
        const m = random() * 119;
        add(k % 3 === 0 ? managedIdentitySignIn(at(m)) : servicePrincipalSignIn(at(m)), m);
    }

    // The attack: 14 prompts in under 8 minutes from two exit nodes, most declined, some unanswered.
    const victim = ATTACKED_USER;
    add(pushApproved({ user: victim, at: at(30), ip: '198.51.100.200', app: 'Outlook Mobile' }), 30);
    const late: Array<Record<string, unknown>> = [];
    for (let p = 0; p < 14; p++) {
        const m = 72 + p * 0.55;
        const ip = ATTACKER_IPS[p % 2]!;
        const o = { user: victim, at: at(m), ip, app: 'OfficeHome' };
        const record = p % 5 === 3 ? pushTimeout(o) : pushDenied(o);
        if (p === 4 || p === 9) {
            late.push(record);
            continue;
        }
        add(record, m);
        if (p % 4 === 1) {
            // Entra's duplicate MFA row: same correlation id and step time, another row id.
            const dup = structuredClone(record) as { properties: Record<string, unknown> };
            dup.properties.id = guid();
            dup.properties.originalRequestId = dup.properties.id;
            add(dup, m + 0.01);
        }
    }
    // The user gives in: a fresh approval from one of the attacking IPs.
    add(pushApproved({ user: victim, at: at(80.2), ip: ATTACKER_IPS[1]!, app: 'OfficeHome' }), 80.2);

    timed.sort((a, b) => a.t - b.t);
    const lines: string[] = [];
    let i = 0;
    while (i < timed.length) {
        const size = 1 + Math.floor(random() * 20);
        const chunk = timed.slice(i, i + size).map((x) => x.record);
        i += size;
        // Out of order inside a message, as Azure Monitor batches them.
        chunk.sort(() => random() - 0.5);
        lines.push(JSON.stringify(envelope(chunk)));
        if (late.length > 0 && timed[i] && timed[i]!.t > 95) lines.push(JSON.stringify(envelope(late.splice(0))));
    }
    return `${lines.join('\n')}\n`;
}
