import type { IncidentView } from '../../shared/notices/incidentView';
import type { TimelineEntry } from '../timeline';

// How the report writes numbers, times and the names of prompts and triggers, in every section alike.

export const number = (n: number) => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

export function utc(ms: number, withDate = true): string {
    const iso = new Date(ms).toISOString();
    return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso.slice(11, 19);
}

export const KIND_LABELS: Readonly<Record<TimelineEntry['kind'], string>> = {
    'push-denied': 'push declined',
    'push-timeout': 'push unanswered',
    'voice-denied': 'call declined',
    'voice-timeout': 'call unanswered',
    'sms-wrong-code': 'wrong SMS code',
    'fraud-report': 'fraud reported',
    'mfa-approved': 'approved',
    'prompt-failed': 'prompt failed, outcome unknown',
    'method-registered': 'method registered',
    'default-method-changed': 'default method changed',
    'method-updated': 'method updated',
    'method-deleted': 'method deleted',
};

export const TRIGGER_LABELS: Readonly<Record<IncidentView['trigger'], string>> = {
    threshold: 'denial threshold reached',
    'fraud-report': 'fraud reported',
    'spam-then-success': 'approved after denials',
    'method-registered-after-attack': 'method registered after an attack',
    sustained: 'sustained over hours',
    'push-spray': 'sprayed in a campaign',
};
