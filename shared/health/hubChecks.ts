import { loadEventHubConfig, loadLagWarningMs } from '../settings/eventHub';
import { hubLag, latePartitions, PartitionLag, PartitionReading } from '../eventhub/lag';
import { duration, Finding, ok, problem } from './check';
import { exactLag } from '../eventhub/hubReadings';
import { describeFailure, HubSnapshot, ReadFailure, HealthCheck } from './context';

/** No sign-in for this long, in a tenant with users, means the stream is broken (or the tenant asleep). */
export const QUIET_MS = 60 * 60_000;

const RECEIVER_ROLE = 'Azure Event Hubs Data Receiver on the hub';
const BLOB_ROLE = "Storage Blob Data Reader on the host's storage account";

export function evaluateSignInsArriving(partitions: readonly PartitionReading[], now: number): Finding[] {
    const title = 'Sign-ins arriving';
    const check = 'sign-ins-arriving';
    const fix =
        'Check that the Entra diagnostic setting streams SignInLogs to this hub (see its row), then sign in once with MFA, or run mfa-responder drill, and run the doctor again.';
    const filled = partitions.filter((p) => !p.isEmpty);
    if (filled.length === 0) {
        return [
            problem(
                'failed',
                check,
                title,
                `the hub holds no event on any of its ${partitions.length} partition(s): nothing was streamed within its retention`,
                fix,
            ),
        ];
    }
    const last = Math.max(...filled.map((p) => p.lastEnqueuedAt));
    const age = now - last;
    const data = { lastEnqueuedAt: new Date(last).toISOString(), partitions: partitions.length };
    if (age > QUIET_MS) {
        return [
            problem(
                'failed',
                check,
                title,
                `no event for ${duration(age)} (last at ${new Date(last).toISOString()})`,
                `${fix} A tenant where nobody signed in for an hour is rare; a quiet one passes once anyone signs in.`,
                data,
            ),
        ];
    }
    return [
        ok(
            check,
            title,
            `last event ${duration(age)} ago (${filled.length} of ${partitions.length} partition(s) hold events)`,
            data,
        ),
    ];
}

export interface LagInput {
    readonly lag: readonly PartitionLag[];
    readonly warningMs: number;
    readonly now: number;
    /** Absent: the host's storage is not configured here, or could not be read. */
    readonly checkpointsRead: boolean;
    readonly checkpointFailure?: ReadFailure;
    /** How to delete stale checkpoints, named for this hub. */
    readonly checkpointPath: string;
}

export function evaluateLag(r: LagInput): Finding[] {
    const title = 'Responder keeps up';
    const check = 'lag';
    if (!r.checkpointsRead) {
        const f = r.checkpointFailure;
        return [
            problem(
                'warning',
                check,
                title,
                f
                    ? `cannot read the host's checkpoints: ${f.message}`
                    : "cannot measure: the host's storage is not configured here (AzureWebJobsStorage__blobServiceUri, __accountName or AzureWebJobsStorage)",
                f?.kind === 'refused'
                    ? `Run the doctor as someone with ${BLOB_ROLE}.`
                    : 'Set AzureWebJobsStorage__blobServiceUri as in the app settings (https://<account>.blob.core.windows.net); a private storage account is readable only from its network.',
            ),
        ];
    }
    const data = {
        partitions: r.lag.map((p) => ({
            ...p,
            ...(p.lastEnqueuedAt !== undefined ? { lastEnqueuedAt: new Date(p.lastEnqueuedAt).toISOString() } : {}),
            ...(p.checkpointAt !== undefined ? { checkpointAt: new Date(p.checkpointAt).toISOString() } : {}),
        })),
        warningMinutes: r.warningMs / 60_000,
    };
    const findings: Finding[] = [];
    const ahead = r.lag.filter((p) => p.state === 'checkpoint-ahead');
    if (ahead.length > 0) {
        findings.push(
            problem(
                'failed',
                `${check}.checkpoint-ahead`,
                'Checkpoints match the hub',
                `checkpoint ahead of the hub on partition(s) ${ahead.map((p) => `${p.partitionId} (checkpoint at event ${p.checkpoint}, the hub's last is ${p.lastSequenceNumber})`).join(', ')}: the hub was recreated and the old checkpoints survived, so the function skips new events until the hub catches up with them`,
                `Stop the function app, delete the stale checkpoints (az storage blob delete-batch --auth-mode login --account-name <account> --source azure-webjobs-eventhub --pattern '${r.checkpointPath}*'), start it again.`,
                data,
            ),
        );
    }
    const late = latePartitions(r.lag, r.warningMs);
    const behind = r.lag.filter((p) => p.state === 'behind');
    const events = behind.reduce((n, p) => n + p.events, 0);
    if (late.length > 0) {
        findings.push(
            problem(
                'failed',
                check,
                title,
                `behind by more than LAG_WARNING_MINUTES (${r.warningMs / 60_000}) on partition(s) ${late.map((p) => `${p.partitionId}: ${p.events} event(s) waiting, ${p.lagExact ? 'the oldest for' : 'the checkpoint unmoved for'} ${duration(p.lagMs ?? 0)}`).join('; ')}`,
                'Check the function app runs and its logs (Application Insights: exceptions, "Sign-in batch:" lines stopping); a batch that keeps failing is retried and holds its partition (storage reachable? Table rights?). If it only fell behind, raise maximumInstanceCount.',
                data,
            ),
        );
    } else if (behind.length > 0) {
        findings.push(
            ok(
                check,
                title,
                `${events} event(s) in flight on ${behind.length} partition(s), within ${r.warningMs / 60_000} min`,
                data,
            ),
        );
    }
    const none = r.lag.filter((p) => p.state === 'no-checkpoint');
    if (none.length > 0) {
        const newest = Math.max(0, ...none.map((p) => p.lastEnqueuedAt ?? 0));
        findings.push(
            problem(
                'warning',
                `${check}.no-checkpoint`,
                'Checkpoints written',
                `no checkpoint yet on partition(s) ${none.map((p) => p.partitionId).join(', ')}${newest ? ` (last event there ${duration(r.now - newest)} ago)` : ''}: the function has not finished a batch from them (it starts at the end of the stream, host.json initialOffsetOptions)`,
                'Expected right after a deployment, until sign-ins arrive on every partition. If events keep arriving and this stays, the function is not reading: check it runs, its EventHubConnection__* settings, and that its identity has Azure Event Hubs Data Receiver on the hub; then run mfa-responder drill.',
                data,
            ),
        );
    }
    if (!findings.some((f) => f.check === check)) {
        const caught = r.lag.filter((p) => p.state === 'caught-up' || p.state === 'empty').length;
        findings.unshift(ok(check, title, `caught up on ${caught} of ${r.lag.length} partition(s)`, data));
    }
    return findings;
}

/** Reading the hub failed: the same failure for both hub checks. */
function hubUnreadable(check: string, title: string, f: ReadFailure): Finding {
    return f.kind === 'refused'
        ? problem(
              'warning',
              check,
              title,
              `cannot read the hub with this identity (${f.code ?? f.status ?? 'refused'})`,
              `Needs ${RECEIVER_ROLE} (the app's identity has it; grant it to yourself to check from here).`,
          )
        : problem(
              'failed',
              check,
              title,
              `cannot reach the hub: ${f.message}`,
              'Check EventHubConnection__fullyQualifiedNamespace and EVENTHUB_NAME, and the namespace network rules.',
          );
}

async function snapshot(read: () => Promise<HubSnapshot | undefined>): Promise<HubSnapshot | ReadFailure | undefined> {
    try {
        return await read();
    } catch (e) {
        return describeFailure(e);
    }
}

const NOT_CONFIGURED = (check: string, title: string) =>
    problem(
        'warning',
        check,
        title,
        'no hub to read: neither EventHubConnection__fullyQualifiedNamespace nor EVENTHUB_CONNECTION_STRING is set',
        'Set EventHubConnection__fullyQualifiedNamespace as in the app settings (<namespace>.servicebus.windows.net) and EVENTHUB_NAME.',
    );

export const signInsArrivingCheck: HealthCheck = {
    id: 'sign-ins-arriving',
    title: 'Sign-ins arriving',
    app: true,
    rights: () => RECEIVER_ROLE,
    run: async (ctx) => {
        const hub = await snapshot(ctx.hub);
        if (!hub) return [NOT_CONFIGURED('sign-ins-arriving', 'Sign-ins arriving')];
        if ('kind' in hub) return [hubUnreadable('sign-ins-arriving', 'Sign-ins arriving', hub)];
        return evaluateSignInsArriving(hub.partitions, ctx.now());
    },
};

export const lagCheck: HealthCheck = {
    id: 'lag',
    title: 'Responder keeps up',
    app: true,
    rights: () => `${RECEIVER_ROLE} and ${BLOB_ROLE}`,
    // The read of the first waiting events after the snapshot.
    extraMs: (ctx) => ctx.timeoutMs,
    run: async (ctx) => {
        const hub = await snapshot(ctx.hub);
        if (!hub) return [NOT_CONFIGURED('lag', 'Responder keeps up')];
        if ('kind' in hub) return [hubUnreadable('lag', 'Responder keeps up', hub)];
        const warningMs = loadLagWarningMs(ctx.env);
        const config = loadEventHubConfig(ctx.env)!;
        const read = { credential: () => ctx.runtime.credential, timeoutMs: ctx.timeoutMs, now: ctx.now };
        const lag = await exactLag(config, hubLag(hub.partitions, hub.checkpoints ?? new Map(), ctx.now()), read);
        const now = ctx.now();
        return evaluateLag({
            lag,
            warningMs,
            now,
            checkpointsRead: hub.checkpoints !== undefined,
            ...(hub.checkpointError !== undefined ? { checkpointFailure: describeFailure(hub.checkpointError) } : {}),
            checkpointPath:
                `${config.fullyQualifiedNamespace}/${config.eventHubName}/${config.consumerGroup}/`.toLowerCase(),
        });
    },
};
