import { InvocationContext } from '@azure/functions';

export interface CapturedLogs {
    readonly lines: Array<{ level: string; text: string }>;
    text(): string;
}

/** An InvocationContext as the Functions host builds one for an Event Hub batch, with its logs captured. */
export function eventHubContext(
    messageCount: number,
    partition = '0',
): { context: InvocationContext; logs: CapturedLogs } {
    const lines: Array<{ level: string; text: string }> = [];
    const context = new InvocationContext({
        invocationId: `test-${Math.random().toString(36).slice(2)}`,
        functionName: 'signInEvents',
        logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(' ') }),
        triggerMetadata: {
            partitionContext: { eventHubName: 'entra-signins', consumerGroup: 'mfa-responder', partitionId: partition },
            enqueuedTimeUtcArray: Array.from({ length: messageCount }, () => new Date().toISOString()),
            sequenceNumberArray: Array.from({ length: messageCount }, (_, i) => i),
            offsetArray: Array.from({ length: messageCount }, (_, i) => String(i * 1000)),
        },
    });
    return { context, logs: { lines, text: () => lines.map((l) => `${l.level}: ${l.text}`).join('\n') } };
}
