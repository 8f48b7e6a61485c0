/**
 * Teams notices (NOTIFY_FORMAT=teams): the Workflows envelope around an Adaptive Card 1.4, what the card says, and the
 * 28 KB bound whatever the incident holds. How the card looks is tested in test/render.
 */
import { releaseCommand } from '../../shared/notices/noticeText';
import { noticeBody } from '../../shared/notices/notifier';
import { plain, TEAMS_MESSAGE_MAX_BYTES, teamsMessage } from '../../shared/notices/teamsCard';
import {
    containedContainment,
    containmentConfig,
    dryRunContainment,
    hostileIncident,
    NOW,
    sampleIncident,
    USER_ID,
} from '../support/incidents';

type Card = {
    version: string;
    type: string;
    body: Array<Record<string, unknown>>;
    actions?: Array<{ type: string; title: string; url: string }>;
    fallbackText: string;
};

function cardOf(message: Record<string, unknown>): Card {
    const attachments = message.attachments as Array<{ content: Card }>;
    return attachments[0]!.content;
}

/** Every text a person sees on the card: text blocks, fact titles and values, container items. */
function texts(element: unknown): string[] {
    if (Array.isArray(element)) return element.flatMap(texts);
    if (!element || typeof element !== 'object') return [];
    const e = element as Record<string, unknown>;
    const own = [e.text, e.title, e.value].filter((v): v is string => typeof v === 'string');
    return [...own, ...texts(e.body), ...texts(e.items), ...texts(e.facts)];
}

const config = containmentConfig({ NOTIFY_FORMAT: 'teams' });

describe('teamsMessage', () => {
    it('is the envelope a Teams Workflows webhook trigger expects, around an Adaptive Card 1.4', () => {
        const message = teamsMessage(sampleIncident(), containedContainment(), 'incident', config);
        expect(Object.keys(message).sort()).toEqual(['attachments', 'type']);
        expect(message.type).toBe('message');
        expect(message.attachments).toEqual([
            { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: expect.any(Object) },
        ]);
        const card = cardOf(message);
        expect(card).toMatchObject({
            type: 'AdaptiveCard',
            version: '1.4',
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        });
        expect(card.fallbackText).toMatch(/megan\.bowen@contoso\.com: contained/);
    });

    it('shows the user, trigger, counts, addresses, each step and the exact release command', () => {
        const shown = texts(cardOf(teamsMessage(sampleIncident(), containedContainment(), 'incident', config)));
        const all = shown.join('\n');
        expect(shown).toContain('megan.bowen@contoso.com');
        expect(shown).toContain(USER_ID);
        expect(shown).toContain('threshold');
        // Zero counts are left out.
        expect(shown).toContain('11 declined, 3 unanswered');
        expect(all).not.toMatch(/0 fraud/);
        expect(all).toContain('185.220.101.34, 185.220.101.47');
        for (const step of ['check-exclusions', 'circuit-breaker', 'revoke-sessions', 'block-push']) {
            expect(shown).toContain(step);
        }
        expect(all).toMatch(/done — added to push-block group/);
        expect(shown).toContain(releaseCommand(USER_ID));
        expect(shown).toContain(`mfa-responder release ${USER_ID} --reason "..."`);
        expect(all).toContain('Severity Medium');
    });

    it('has a card for needs-attention, approval and release notices, and marks a drill', () => {
        const inc = sampleIncident();
        const c = containedContainment();
        const attention = texts(
            cardOf(
                teamsMessage(
                    inc,
                    { ...c, status: 'needs-attention', reason: 'revoke-sessions: 403' },
                    'needs-attention',
                    config,
                ),
            ),
        ).join('\n');
        expect(attention).toMatch(/NEEDS ATTENTION/);
        expect(attention).toContain('revoke-sessions: 403');
        const approved = sampleIncident({ approval: { at: NOW, ipAddress: '185.220.101.47', fromDenialIp: true } });
        const approval = texts(cardOf(teamsMessage(approved, c, 'approval', config))).join('\n');
        expect(approval).toMatch(/APPROVED/);
        expect(approval).toMatch(/from 185\.220\.101\.47 \(an attacking IP\)/);
        expect(approval).toContain('Severity High');
        const released = {
            ...c,
            status: 'released' as const,
            release: { at: NOW, by: 'soc@contoso.com', reason: 'verified by phone', undo: 'removed from group' },
        };
        const release = texts(cardOf(teamsMessage(inc, released, 'released', config))).join('\n');
        expect(release).toMatch(/released by soc@contoso\.com/);
        expect(release).toContain('verified by phone');
        expect(release).not.toContain('mfa-responder release');
        const drill = cardOf(
            teamsMessage(
                sampleIncident({ drill: true }),
                dryRunContainment(sampleIncident({ drill: true })),
                'incident',
                config,
            ),
        );
        expect(texts(drill.body[0]).join(' ')).toMatch(/^DRILL/);
        expect(drill.fallbackText).toMatch(/^DRILL — /);
    });

    it('stays under 28 KB with a hostile incident, cutting lists with "and N more" but keeping user and trigger', () => {
        const { incident, containment } = hostileIncident();
        for (const kind of ['incident', 'needs-attention', 'approval', 'released'] as const) {
            const message = teamsMessage(incident, containment, kind, config);
            const bytes = Buffer.byteLength(JSON.stringify(message));
            expect(bytes).toBeLessThanOrEqual(TEAMS_MESSAGE_MAX_BYTES);
            expect(bytes).toBeLessThan(28 * 1024);
            const all = texts(cardOf(message)).join('\n');
            expect(all).toContain(incident.userPrincipalName!);
            expect(all).toContain('threshold');
            expect(all).toMatch(/and \d+ more/);
        }
        // The same incident, unbounded, would not fit: the bound is doing work.
        expect(JSON.stringify(containment).length + JSON.stringify(incident).length).toBeGreaterThan(
            TEAMS_MESSAGE_MAX_BYTES,
        );
    });

    it('gives way level by level: fewer addresses, apps and steps, shorter texts, then the least card', () => {
        const { incident, containment } = hostileIncident();
        const sizes = [16_000, 9_500, 5_500, 3_000].map((maxBytes) => {
            const message = teamsMessage(incident, containment, 'incident', config, { maxBytes });
            const all = texts(cardOf(message)).join('\n');
            expect(all).toContain(incident.userPrincipalName!.slice(0, 200));
            expect(all).toContain('threshold');
            return { maxBytes, bytes: Buffer.byteLength(JSON.stringify(message)), all };
        });
        for (const s of sizes) expect(s.bytes).toBeLessThanOrEqual(s.maxBytes);
        expect(sizes[0]!.all).toMatch(/8a2e:0009:7334 and 22 more/);
        expect(sizes[1]!.all).toMatch(/8a2e:0004:7334 and 27 more/);
        expect(sizes[2]!.all).toMatch(/8a2e:0002:7334 and 29 more/);
        // Eight steps, five shown.
        expect(sizes[2]!.all).toContain('\n…\nand 3 more');
        // The least card: title, user, trigger, counts, incident; nothing an attacker can grow past a few hundred bytes.
        expect(sizes[3]!.all).not.toContain('2001:0db8');
    });

    it('lets no text form a Markdown link or break a line', () => {
        const { incident, containment } = hostileIncident();
        const all = texts(cardOf(teamsMessage(incident, containment, 'incident', config))).join('\n');
        expect(all).not.toMatch(/\]\(/);
        expect(plain('[x](https://evil.example)\nline\u2028two', 100)).toBe('(x)(https://evil.example) line two');
        expect(plain('abcdef', 4)).toBe('abc…');
    });

    it('shows no hidden text: bidirectional overrides and zero-width characters from app names become spaces', () => {
        const { incident, containment } = hostileIncident();
        const hidden = { ...incident, apps: ['Microsoft \u202Eetadpu\u202C Office', 'Inv\u200Boice'] };
        const all = texts(cardOf(teamsMessage(hidden, containment, 'incident', config))).join('\n');
        expect(all).not.toMatch(/[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/);
        expect(all).toContain('Microsoft etadpu Office');
    });
});

/** The style of the first band that holds the title (after a DRILL or RELEASED band). */
function titleStyle(card: Card): string {
    const bands = card.body.filter((e) => e.type === 'Container');
    return String(bands[bands.length - 1]!.style);
}

describe('a card the on-call analyst can act on', () => {
    const approved = sampleIncident({
        trigger: 'spam-then-success',
        approval: { at: NOW + 5 * 60_000 + 12_000, ipAddress: '185.220.101.47', fromDenialIp: true },
    });

    it('takes its colour from urgency: an approval or a fraud report is attention even when contained', () => {
        const style = (
            inc = sampleIncident(),
            c = containedContainment(inc),
            kind: 'incident' | 'released' = 'incident',
        ) => titleStyle(cardOf(teamsMessage(inc, c, kind, config)));
        expect(style(approved)).toBe('attention');
        expect(style(sampleIncident({ fraudReports: 1, trigger: 'fraud-report' }))).toBe('attention');
        expect(style(sampleIncident(), { ...containedContainment(), status: 'needs-attention' })).toBe('attention');
        expect(style()).toBe('warning');
        expect(style(sampleIncident(), dryRunContainment())).toBe('warning');
        const released = { ...containedContainment(), status: 'released' as const };
        expect(style(sampleIncident(), released, 'released')).toBe('good');
    });

    it('tells drill and released cards apart at a glance, by their first band', () => {
        const drillInc = sampleIncident({ drill: true });
        const drill = cardOf(teamsMessage(drillInc, dryRunContainment(drillInc), 'incident', config));
        const released = cardOf(
            teamsMessage(sampleIncident(), { ...containedContainment(), status: 'released' }, 'released', config),
        );
        const incident = cardOf(teamsMessage(sampleIncident(), containedContainment(), 'incident', config));
        expect(
            [drill, released, incident].map((c) => [c.body[0]!.style, texts(c.body[0]).join(' ').split(' ')[0]]),
        ).toEqual([
            ['accent', 'DRILL'],
            ['good', 'RELEASED'],
            ['warning', 'MFA'],
        ]);
    });

    it('opens the user in the Entra admin center, Sentinel incidents and the release guide when they are configured', () => {
        const plainCard = cardOf(teamsMessage(sampleIncident(), containedContainment(), 'incident', config));
        expect(plainCard.actions).toEqual([
            {
                type: 'Action.OpenUrl',
                title: 'Sign-in logs',
                url: `https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/SignIns/userId/${USER_ID}`,
            },
            {
                type: 'Action.OpenUrl',
                title: 'Authentication methods',
                url: `https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/UserAuthMethods/userId/${USER_ID}`,
            },
        ]);
        const workspace =
            '/subscriptions/0f8fad5b-d9cb-469f-a165-70867728950e/resourceGroups/rg-soc/providers/Microsoft.OperationalInsights/workspaces/law-soc';
        const configured = containmentConfig({
            NOTIFY_FORMAT: 'teams',
            SENTINEL_WORKSPACE_ID: workspace,
            RUNBOOK_URL: 'https://wiki.contoso.com/soc/mfa-release',
        });
        const full = cardOf(teamsMessage(sampleIncident(), containedContainment(), 'incident', configured));
        expect(full.actions!.map((a) => [a.title, a.url])).toEqual([
            ['Sign-in logs', expect.stringContaining('/SignIns/userId/')],
            ['Authentication methods', expect.stringContaining('/UserAuthMethods/userId/')],
            [
                'Sentinel incidents',
                `https://portal.azure.com/#view/Microsoft_Azure_Security_Insights/MainMenuBlade/~/Incidents/id/${encodeURIComponent(workspace)}`,
            ],
            ['How to release', 'https://wiki.contoso.com/soc/mfa-release'],
        ]);
    });

    it('shows times as offsets from the attack start', () => {
        const all = texts(cardOf(teamsMessage(approved, containedContainment(approved), 'approval', config))).join(
            '\n',
        );
        expect(all).toContain('Attack started\n2026-11-02 09:12:00 UTC');
        expect(all).toContain('Detected\n09:14:00 UTC (+2 min)');
        expect(all).toMatch(/APPROVED\n09:20:12 UTC \(\+8 min 12 s\) from 185\.220\.101\.47 \(an attacking IP\)/);
    });

    it('lists, in dry-run and when a person must act, the steps to take by hand with the portal path or command', () => {
        const dry = texts(cardOf(teamsMessage(approved, dryRunContainment(approved), 'incident', config))).join('\n');
        expect(dry).toContain('To do by hand (dry-run: the responder changed nothing):');
        expect(dry).toContain(
            `1. Revoke sessions: Entra admin center > Users > megan.bowen@contoso.com > Revoke sessions (az rest --method POST --url https://graph.microsoft.com/v1.0/users/${USER_ID}/revokeSignInSessions)`,
        );
        expect(dry).toMatch(/2\. Block push: /);
        expect(dry).toMatch(/Remove what was registered since 2026-11-02T09:12:00\.000Z/);
        // Revoking sessions twice is one thing to do.
        expect(dry.match(/Revoke sessions:/g)).toHaveLength(1);
        const c = containedContainment();
        const failing = {
            ...c,
            status: 'needs-attention' as const,
            steps: c.steps.map((s) =>
                s.name === 'block-push'
                    ? {
                          ...s,
                          status: 'failed' as const,
                          error: { status: 403, code: 'Authorization_RequestDenied', message: 'no' },
                      }
                    : s,
            ),
        };
        const attention = texts(cardOf(teamsMessage(sampleIncident(), failing, 'needs-attention', config))).join('\n');
        expect(attention).toContain('To do by hand (the responder could not finish):');
        expect(attention).toContain(
            `1. Block push: add the user to the push-block group (az ad group member add --group ${config.pushBlockGroupId} --member-id ${USER_ID})`,
        );
        expect(attention).not.toMatch(/Revoke sessions:/);
        const done = texts(cardOf(teamsMessage(sampleIncident(), c, 'incident', config))).join('\n');
        expect(done).not.toContain('To do by hand');
    });
});

describe('noticeBody', () => {
    it('keeps JSON the default for other receivers, and posts the card with NOTIFY_FORMAT=teams', () => {
        const inc = sampleIncident();
        const c = containedContainment();
        const json = noticeBody(inc, c, 'incident', containmentConfig());
        expect(json).toMatchObject({ type: 'mfa-fatigue-responder', kind: 'incident', userId: USER_ID });
        const teams = noticeBody(inc, c, 'incident', config);
        expect(teams).toMatchObject({ type: 'message' });
        expect(teams).not.toHaveProperty('userId');
    });
});
