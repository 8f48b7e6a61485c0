import { mkdir, stat, writeFile, access, constants } from 'node:fs/promises';
import { join } from 'node:path';

import { noticeBody } from '../shared/notices/notifier';
import type { ContainmentConfig } from '../shared/settings/containment';
import type { ShownIncident } from './dryRunPlans';

/** The notices folder cannot be made or written: the CLI exits 73 (EX_CANTCREAT) naming it. */
export class NoticesDirError extends Error {}

/** Checked before the replay starts, like the HTML report: made when missing, and writable. */
export async function checkNoticesDir(dir: string): Promise<void> {
    const existing = await stat(dir).catch(() => undefined);
    if (existing && !existing.isDirectory()) {
        throw new NoticesDirError(`cannot write notices to ${dir}: it is a file, not a folder`);
    }
    try {
        if (!existing) await mkdir(dir, { recursive: true });
        await access(dir, constants.W_OK);
    } catch (e) {
        throw new NoticesDirError(
            `cannot write notices to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
    }
}

/** A notice's file name: the incident id and the notice kind, with nothing a file system could take as a path. */
export function noticeFileName(incidentId: string, kind: string): string {
    return `${incidentId}.${kind}.json`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * `replay --notices DIR`: for each incident, the exact body the function would POST for each of its notices in the
 * configured NOTIFY_FORMAT (the JSON payload or the Teams Workflows message), byte for byte, one file per notice.
 * Nothing is sent:
 * the containment shown is the dry-run plan, or what `--contain` did. Returns the files written.
 */
export async function writeNoticeFiles(
    dir: string,
    incidents: readonly ShownIncident[],
    config: ContainmentConfig,
): Promise<string[]> {
    const written: string[] = [];
    for (const { incident, containment } of incidents) {
        for (const notice of containment.notices) {
            const file = join(dir, noticeFileName(incident.id, notice.kind));
            const body = noticeBody(incident, containment, notice.kind, config);
            try {
                await writeFile(file, JSON.stringify(body), 'utf8');
            } catch (e) {
                throw new NoticesDirError(
                    `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
                );
            }
            written.push(file);
        }
    }
    return written;
}
