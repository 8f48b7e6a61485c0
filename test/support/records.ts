import { randomUUID } from 'node:crypto';

import { newUserRow, UserRow, UserRowStore } from '../../shared/userRow/userRow';
import { userRowIndex } from '../../shared/userRow/fitUserRow';
import { emptyUserState, UserState } from '../../shared/detection/userState';

/** Writes a user's row as the responder would (its index from the record), creating it. */
export async function putRecord(store: UserRowStore, record: UserRow): Promise<void> {
    await store.write(record.state.userId, record, {
        index: userRowIndex(record, { maxStepAttempts: 6 }),
        writeId: randomUUID(),
    });
}

/** A row with only detection state. */
export function stateRecord(userId: string, state: Partial<UserState> = {}): UserRow {
    return newUserRow({ ...emptyUserState(userId), ...state });
}
