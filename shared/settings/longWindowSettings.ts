/**
 * The settings of the long window and of the removal window (issue 17), part of the one table in settings.ts, which
 * spreads them in place (kept here so that the table stays within the 400-line bound of a file). Their reasoning and
 * defaults: docs/how-it-works.md (The long window, The removal window).
 */
import { int, spec } from './settingSchemas';

export const LONG_WINDOW_SETTINGS = {
    SUSTAINED_WINDOW_HOURS: spec({
        schema: int(1, 168),
        default: '4',
        accepts: 'an integer from 1 to 168 (at most LATE_EVENT_TOLERANCE_HOURS counts)',
        description:
            'The long window, by event time: the sustained trigger, and refused prompts from the approving source before a spam-then-success, however slowly they came.',
    }),
    SUSTAINED_THRESHOLD: spec({
        schema: int(1, 1000),
        default: '15',
        accepts: 'an integer from 1 to 1000',
        description: 'Weighted prompts within SUSTAINED_WINDOW_HOURS that open a sustained incident, however paced.',
    }),
    REMOVAL_LOOKBACK_MINUTES: spec({
        schema: int(10, 1440),
        default: '60',
        accepts: 'an integer from 10 to 1440',
        description:
            'How far before the prompt that completed a trigger the removal of new methods reaches at most: the attack as a person dates it.',
    }),
} as const;
