import { newUserRow } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { applyEvents } from '../../shared/detection/detect';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import { UnreadableRowError } from '../../shared/errors';
import { ev, USER } from '../support/events';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('reading a stored record', () => {
    it('reads what this version writes, and a row of the first version', () => {
        const { state } = applyEvents(undefined, [ev('push-denied', 0), ev('push-denied', 1)], {
            policy: { ...DEFAULT_POLICY, denialThreshold: 2 },
            now: NOW,
        });
        const stored = JSON.parse(JSON.stringify(newUserRow(state))) as unknown;
        expect(readUserRow(stored)).toEqual(stored);
        const v1 = { userId: USER, lastEventTime: 1, attempts: [{ keys: ['r:a'], t: 1, kind: 'push-denied' }] };
        expect(readUserRow(v1).state.prompts).toEqual([{ keys: ['r:a'], time: 1, kind: 'push-denied', rowIds: [] }]);
    });

    it.each([
        ['null', null, /not a record of any version \(the document/],
        ['an array', [], /not a record of any version/],
        ['a string', 'secret@contoso.com', /not a record of any version/],
        ['a v2 record without state', { v: 2, containments: [] }, /not a record \(state:/],
        [
            'a prompt without time',
            {
                v: 2,
                state: {
                    userId: USER,
                    prompts: [{ keys: [], kind: 'x', rowIds: [] }],
                    incidents: [],
                    lastEventTime: 0,
                },
                containments: [],
            },
            /state\.prompts\.0\.time/,
        ],
        [
            'containments that are not a list',
            { v: 2, state: { userId: USER, prompts: [], incidents: [], lastEventTime: 0 }, containments: {} },
            /containments/,
        ],
    ])('refuses %s as UnreadableRowError, saying where and never what', (_name, doc, reason) => {
        const error = (() => {
            try {
                readUserRow(doc);
            } catch (e) {
                return e;
            }
            return undefined;
        })();
        expect(error).toBeInstanceOf(UnreadableRowError);
        expect((error as UnreadableRowError).reason).toMatch(reason);
        expect((error as UnreadableRowError).message).not.toContain('secret@contoso.com');
        expect((error as UnreadableRowError).message).not.toContain(USER);
    });
});
