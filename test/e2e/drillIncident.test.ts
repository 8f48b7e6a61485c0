import { createSignInEventsHandler } from '../../functions/signInEvents';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { createRuntime } from '../../shared/runtime';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushDenied, User, user } from '../support/signInFactory';

const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
let identity: FakeIdentity;
let graph: FakeGraph;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
});
afterAll(async () => {
    await stopLocalGraph({ identity, graph });
});

/** The records `mfa-responder drill` sends: real SignInLogs declines, marked with the drill's id. */
const drill = (u: User, drillId: string) =>
    envelope(
        Array.from({ length: 6 }, (_, i) => {
            const r = pushDenied({ user: u, at: new Date(Date.now() - 60_000 + i * 5_000) }) as {
                properties: Record<string, unknown>;
            };
            r.properties.drillId = drillId;
            return r;
        }),
    );

describe('drill incidents', () => {
    it('plans a canary’s drill as a dry-run in live mode; the same marker on anyone else is refused', async () => {
        const canary = user('Drill Canary');
        const other = user('Not A Canary');
        graph.addUser(canary.id, { userPrincipalName: canary.upn });
        graph.addUser(other.id, { userPrincipalName: other.upn });
        const rt = createRuntime({
            env: {
                STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
                STATE_TABLE_NAME: `drill${process.pid}x${Date.now().toString(36)}`,
                AZURE_CLIENT_ID: identity.clientId,
                GRAPH_BASE_URL: graph.baseUrl,
                CONTAINMENT_MODE: 'live',
                PUSH_BLOCK_GROUP_ID: GROUP,
                NEVER_CONTAIN: 'breakglass@contoso.com',
                DRILL_USER_IDS: canary.id,
            },
        });
        const { context, logs } = eventHubContext(2);
        await createSignInEventsHandler(() => rt)([drill(canary, 'drill-1'), drill(other, 'drill-2')], context);
        const read = async (u: User) => containedIncidents(readUserRow((await rt.store.read(u.id))!.doc))[0]!;
        const canaryIncident = await read(canary);
        expect(canaryIncident.incident).toMatchObject({ drill: true, drillId: 'drill-1' });
        expect(canaryIncident.containment).toMatchObject({ status: 'dry-run', mode: 'dry-run' });
        expect(graph.calls.filter((c) => c.path.includes(canary.id))).toEqual([]);
        expect(logs.text()).toMatch(new RegExp(`MFA push attack detected: .*"userId":"${canary.id}".*"drill":true`));
        // A drill aimed at a user the app does not list is refused: no state, no incident, no Graph call.
        expect(await rt.store.read(other.id)).toBeUndefined();
        expect(graph.calls.filter((c) => c.path.includes(other.id))).toEqual([]);
        expect(logs.text()).toMatch(/Rejected 6 sign-in record\(s\) as drill-refused; e\.g\. a drill record for user /);
    });
});
