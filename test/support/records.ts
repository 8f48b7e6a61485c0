import { randomUUID } from 'node:crypto';

import { newRecord, recordIndex, UserRecord, UserRecordStore } from '../../shared/userRow/userRow';
import { emptyUserState, UserState } from '../../shared/detection/userState';

/** Writes a user's row as the responder would (its index from the record), creating it. */
export async function putRecord(store: UserRecordStore, record: UserRecord): Promise<void> {
    await store.write(record.state.userId, record, {
        index: recordIndex(record, { maxStepAttempts: 6 }),
        writeId: randomUUID(),
    });
}

/** A row with only detection state. */
export function stateRecord(userId: string, state: Partial<UserState> = {}): UserRecord {
    return newRecord({ ...emptyUserState(userId), ...state });
}
