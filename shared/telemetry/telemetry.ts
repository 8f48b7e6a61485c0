import type { Attributes, Counter, Histogram, MeterProvider } from '@opentelemetry/api';
import type { LoggerProvider } from '@opentelemetry/api-logs';

import type { CampaignView } from '../campaign/campaignView';
import type { Containment, StepError, StepName } from '../containment/model';
import type { Incident } from '../detection/userState';
import type { RejectReason, UserEvent } from '../signin/signInEvent';
import { isoTime } from '../time';
import {
    CUSTOM_EVENT_ATTRIBUTE,
    EVENTS,
    FINAL_STATUSES,
    HTTP_STATUS_CLASSES,
    InstrumentSpec,
    METRICS,
    MetricId,
    OTHER,
    StepOutcome,
} from './instruments';

/**
 * What the pipeline and containment report, in their own words; the implementation turns each call into the
 * metrics and events of instruments.ts. Every method is cheap and never throws: telemetry must not fail a batch.
 */
export interface Telemetry {
    recordsRead(count: number): void;
    recordsRejected(count: number, reason: RejectReason): void;
    denials(count: number): void;
    /** One event read at wall-clock `now`: its lag is `now` minus its event time. */
    eventRead(event: Pick<UserEvent, 'kind' | 'time'>, now: number): void;
    /** An incident was stored: counted by trigger, and one MfaIncidentOpened event. */
    incidentOpened(incident: Incident, containment: Containment | undefined): void;
    containmentStep(step: StepName, outcome: StepOutcome, error?: StepError): void;
    /** A containment reached a status in FINAL_STATUSES (others are ignored). */
    containmentFinished(incident: Incident, containment: Containment): void;
    /** From the triggering batch to the first Graph call of this incident's containment, ms. */
    firstGraphCall(latencyMs: number, incident: Incident): void;
    /** A push-spray campaign opened (stored): counted by source type, and one MfaCampaignOpened event. */
    campaignOpened(campaign: CampaignView): void;
    /** Exports what is buffered and stops (the host's appTerminate). */
    shutdown(): Promise<void>;
}

/** Telemetry that does nothing: tests, the CLI and any run without APPLICATIONINSIGHTS_CONNECTION_STRING. */
export const NO_TELEMETRY: Telemetry = {
    recordsRead: () => undefined,
    recordsRejected: () => undefined,
    denials: () => undefined,
    eventRead: () => undefined,
    incidentOpened: () => undefined,
    containmentStep: () => undefined,
    containmentFinished: () => undefined,
    firstGraphCall: () => undefined,
    campaignOpened: () => undefined,
    shutdown: async () => undefined,
};

/** The meter and logger scope name (customMetrics and customEvents do not show it; OTLP back ends do). */
export const SCOPE = 'mfa-fatigue-responder';

/** OTel's SeverityNumber.INFO (api-logs), written out so that this module needs only the API's types. */
const SEVERITY_INFO = 9;

/** Keeps a dimension inside its closed set: an unexpected value becomes `other`, never a new series. */
function dimensions(spec: InstrumentSpec, values: Readonly<Record<string, string>>): Attributes {
    const out: Attributes = {};
    for (const [key, allowed] of Object.entries(spec.dimensions)) {
        const v = values[key];
        out[key] = v !== undefined && allowed.includes(v) ? v : OTHER;
    }
    return out;
}

export function httpStatusClass(status: number | undefined): (typeof HTTP_STATUS_CLASSES)[number] {
    if (status === undefined) return 'none';
    const exact = String(status);
    if ((HTTP_STATUS_CLASSES as readonly string[]).includes(exact))
        return exact as (typeof HTTP_STATUS_CLASSES)[number];
    if (status >= 500 && status < 600) return '5xx';
    if (status >= 400 && status < 500) return '4xx';
    return 'none';
}

export interface OtelProviders {
    readonly meterProvider: MeterProvider;
    readonly loggerProvider: LoggerProvider;
    /** Flushes and stops the providers (the distro's shutdownAzureMonitor, or a test's own). */
    readonly shutdown?: () => Promise<void>;
}

/** The instruments, created once from METRICS. */
function createInstruments(meterProvider: MeterProvider): Record<MetricId, Counter | Histogram> {
    const meter = meterProvider.getMeter(SCOPE);
    const instruments = {} as Record<MetricId, Counter | Histogram>;
    for (const [id, spec] of Object.entries(METRICS) as Array<[MetricId, InstrumentSpec]>) {
        const options = { unit: spec.unit, description: spec.description };
        instruments[id] =
            spec.kind === 'counter'
                ? meter.createCounter(spec.name, options)
                : meter.createHistogram(spec.name, options);
    }
    return instruments;
}

/** The function, made unable to throw: a telemetry failure must never fail a batch or a containment. */
const safely =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
        try {
            fn(...args);
        } catch {
            // The exporter logs its own errors.
        }
    };

/** The MfaCampaignOpened event's properties. */
function campaignEventProperties(c: CampaignView): Record<string, string | number> {
    return {
        campaignId: c.campaignId,
        sourceType: c.source.type,
        source: c.source.value,
        users: c.userCount,
        approvals: c.approvals,
        fraudReports: c.fraudReports,
        severity: c.severity,
        containment: c.containment,
        detectedAt: c.detectedAt,
        detectionLagSeconds: Math.max(0, Date.parse(c.recordedAt) - Date.parse(c.detectedAt)) / 1000,
    };
}

/**
 * Telemetry over OpenTelemetry providers: the Azure Monitor distro's in the function app, in-memory ones in tests.
 * Instruments are created here, once, from METRICS; events are log records carrying CUSTOM_EVENT_ATTRIBUTE.
 */
export function createTelemetry(providers: OtelProviders): Telemetry {
    const logger = providers.loggerProvider.getLogger(SCOPE);
    const instruments = createInstruments(providers.meterProvider);
    const record = (id: MetricId, value: number, values: Record<string, string> = {}): void => {
        if (!Number.isFinite(value) || value < 0) return;
        const instrument = instruments[id];
        const attrs = dimensions(METRICS[id], values);
        // Adding 0 would still export a row for the minute (a batch with no denials): counters skip it.
        if ('add' in instrument) {
            if (value > 0) instrument.add(value, attrs);
        } else {
            instrument.record(value, attrs);
        }
    };
    const emit = (event: keyof typeof EVENTS, properties: Record<string, string | number | boolean>): void => {
        const { name } = EVENTS[event];
        logger.emit({
            severityNumber: SEVERITY_INFO,
            body: name,
            attributes: { [CUSTOM_EVENT_ATTRIBUTE]: name, ...properties },
        });
    };
    return {
        recordsRead: safely((count: number) => record('recordsRead', count)),
        recordsRejected: safely((count: number, reason: RejectReason) => record('recordsRejected', count, { reason })),
        denials: safely((count: number) => record('denials', count)),
        eventRead: safely((event: Pick<UserEvent, 'kind' | 'time'>, now: number) =>
            record('detectionLag', Math.max(0, now - event.time) / 1000, { kind: event.kind }),
        ),
        incidentOpened: safely((incident: Incident, containment: Containment | undefined) => {
            const drill = String(incident.drill === true);
            record('incidents', 1, { trigger: incident.trigger, drill });
            emit('incidentOpened', {
                incidentId: incident.id,
                userId: incident.userId,
                trigger: incident.trigger,
                denials: incident.denials,
                timeouts: incident.timeouts,
                fraudReports: incident.fraudReports,
                detectedAt: isoTime(incident.detectedAt),
                detectionLagSeconds: Math.max(0, incident.recordedAt - incident.detectedAt) / 1000,
                containment: containment?.status ?? 'none',
                drill: incident.drill === true,
            });
        }),
        containmentStep: safely((step: StepName, outcome: StepOutcome, error?: StepError) =>
            record('containmentSteps', 1, { step, outcome, httpStatus: httpStatusClass(error?.status) }),
        ),
        containmentFinished: safely((incident: Incident, c: Containment) => {
            if (!(FINAL_STATUSES as readonly string[]).includes(c.status)) return;
            record('containments', 1, { status: c.status, mode: c.mode });
            emit('containmentFinished', {
                incidentId: incident.id,
                userId: incident.userId,
                trigger: incident.trigger,
                status: c.status,
                mode: c.mode,
                reason: c.reason ?? '',
                steps: c.steps.map((s) => `${s.name}:${s.status}`).join(','),
            });
        }),
        firstGraphCall: safely((latencyMs: number, incident: Incident) =>
            record('firstGraphCallLatency', latencyMs, { trigger: incident.trigger }),
        ),
        campaignOpened: safely((c: CampaignView) => {
            record('campaigns', 1, { sourceType: c.source.type, containment: c.containment });
            emit('campaignOpened', campaignEventProperties(c));
        }),
        shutdown: async () => {
            try {
                await providers.shutdown?.();
            } catch {
                // Shutting down is best effort: the worker is going away.
            }
        },
    };
}
