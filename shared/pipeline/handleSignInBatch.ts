import type { ContainmentConfig } from '../settings/containment';
import type { DetectionConfig } from '../settings/detection';
import { StateStoreError } from '../errors';
import type { Logger } from '../logger';
import { confirmAnnounced } from '../runners/confirmAnnounced';
import { containIncidents } from '../runners/containIncidents';
import type { ContainmentDeps } from '../runners/containmentDeps';
import type { UserEvent } from '../signin/signInEvent';
import type { Telemetry } from '../telemetry/telemetry';
import type { UserRows } from '../userRow/userRows';
import { runCampaignWork } from '../campaignRunners/campaignWork';
import type { CampaignDeps } from './campaignStep';
import type { BatchOutcome } from './batchResult';
import { logBatch } from './logBatch';
import { processSignInBatch } from './processSignInBatch';

/** What handling a batch needs; built once per runtime (the function) or per replay (the CLI). */
export interface SignInBatchUseCase {
    readonly rows: UserRows;
    readonly detection: DetectionConfig;
    /** When given, every new incident gets its containment plan in the same write that opens it. */
    readonly containment?: ContainmentConfig;
    /** When given, the batch's new and changed incidents are contained (bounded by its inline budget). */
    readonly contain?: ContainmentDeps;
    /** Where the batch is logged, and a failed "announced" mark warned about. */
    readonly logger: Logger;
    readonly telemetry?: Telemetry;
    /** Sees the batch's events, grouped by user, once parsed (the HTML report keeps them). */
    readonly onParsed?: (byUser: ReadonlyMap<string, readonly UserEvent[]>) => void;
    /** When given, prompts are counted across users by source too: push-spray campaigns (shared/campaign). */
    readonly campaigns?: CampaignDeps;
}

/**
 * Some users' updates failed for a reason that may pass (storage unreachable, throttled). The function lets the host
 * retry the batch before its checkpoint moves; a replay stops. Everything else in the batch was stored and acted on.
 */
export class SignInBatchNotStoredError extends StateStoreError {
    constructor(readonly outcome: BatchOutcome) {
        const first = outcome.failures[0]!;
        super(
            `${outcome.failures.length} of ${outcome.result.users} user updates failed; first (${first.userId}): ${first.error.message}`,
            { cause: first.error },
        );
    }
}

/**
 * The one batch use case, for the Event Hub function and `mfa-responder replay` alike: process the batch (the
 * outcome comes back as a value), log it, hand its new and changed incidents to containment, and only then mark the
 * new ones announced, so that a crash in between announces them again rather than never. Last, if some users'
 * updates failed, throws SignInBatchNotStoredError: the rest of the batch was stored, logged and contained first.
 */
export async function handleSignInBatch(
    messages: Iterable<unknown>,
    useCase: SignInBatchUseCase,
    options: {
        readonly batchStartedAt?: number;
        /** The Event Hub partition the batch came from: this writer's shard of the campaign rows. */
        readonly partition?: string;
    } = {},
): Promise<BatchOutcome> {
    const { rows, detection, contain, logger } = useCase;
    const outcome = await processSignInBatch(messages, {
        rows,
        policy: detection.policy,
        categories: detection.categories,
        auditCategories: detection.auditCategories,
        drillUsers: detection.drillUsers,
        ...(useCase.containment ? { containment: useCase.containment } : {}),
        ...(useCase.telemetry ? { telemetry: useCase.telemetry } : {}),
        ...(useCase.onParsed ? { onParsed: useCase.onParsed } : {}),
        ...(useCase.campaigns ? { campaigns: useCase.campaigns, shard: options.partition ?? '0' } : {}),
    });
    logBatch(outcome, logger);
    const { newIncidents, updatedIncidents, campaignNotices } = outcome.result;
    if (contain) await containIncidents([...newIncidents, ...updatedIncidents], contain, options);
    if (contain && useCase.campaigns && campaignNotices.length > 0) {
        // Within the handler's few seconds, like containment; what is left is the timer's.
        await runCampaignWork(
            campaignNotices,
            {
                store: useCase.campaigns.store,
                policy: useCase.campaigns.policy,
                config: contain.config,
                ...(contain.notify ? { notify: contain.notify } : {}),
                ...(contain.sourceBlocker ? { blocker: contain.sourceBlocker } : {}),
                logger,
                ...(contain.now ? { now: contain.now } : {}),
            },
            { deadline: (contain.now ?? Date.now)() + 5_000 },
        );
    }
    await confirmAnnounced(newIncidents, { rows, logger });
    if (outcome.failures.length > 0) throw new SignInBatchNotStoredError(outcome);
    return outcome;
}
