import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
    AggregationTemporality,
    DataPoint,
    Histogram,
    InMemoryMetricExporter,
    MeterProvider,
    PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

import { CUSTOM_EVENT_ATTRIBUTE } from '../../shared/telemetry/instruments';
import { createTelemetry, Telemetry } from '../../shared/telemetry/telemetry';

/** One metric data point as the exporter hands it on: name, dimensions and value (a histogram's count and sum). */
export interface Point {
    readonly name: string;
    readonly unit: string;
    readonly attributes: Record<string, unknown>;
    readonly value: number;
    readonly count?: number;
}

export interface CustomEvent {
    readonly name: string;
    readonly properties: Record<string, unknown>;
}

export interface InMemoryTelemetry {
    readonly telemetry: Telemetry;
    /** Every data point exported so far (one export per call, delta temporality, as Azure Monitor's exporter). */
    points(): Promise<Point[]>;
    events(): Promise<CustomEvent[]>;
    close(): Promise<void>;
}

/**
 * The responder's telemetry over real OpenTelemetry SDK providers with in-memory exporters: what the Azure Monitor
 * distro would export, without starting it (and without touching the global providers).
 */
export function inMemoryTelemetry(): InMemoryTelemetry {
    const metricExporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const logExporter = new InMemoryLogRecordExporter();
    const loggerProvider = new LoggerProvider({
        processors: [new SimpleLogRecordProcessor({ exporter: logExporter })],
    });
    const telemetry = createTelemetry({ meterProvider, loggerProvider });
    return {
        telemetry,
        points: async () => {
            await reader.forceFlush();
            return metricExporter.getMetrics().flatMap((rm) =>
                rm.scopeMetrics.flatMap((sm) =>
                    sm.metrics.flatMap((m) =>
                        (m.dataPoints as Array<DataPoint<number | Histogram>>).map((dp) => {
                            const v = dp.value;
                            return typeof v === 'number'
                                ? {
                                      name: m.descriptor.name,
                                      unit: m.descriptor.unit,
                                      attributes: { ...dp.attributes },
                                      value: v,
                                  }
                                : {
                                      name: m.descriptor.name,
                                      unit: m.descriptor.unit,
                                      attributes: { ...dp.attributes },
                                      value: v.sum ?? 0,
                                      count: v.count,
                                  };
                        }),
                    ),
                ),
            );
        },
        events: async () => {
            await loggerProvider.forceFlush();
            return logExporter
                .getFinishedLogRecords()
                .filter((r) => r.attributes[CUSTOM_EVENT_ATTRIBUTE] !== undefined)
                .map((r) => {
                    const { [CUSTOM_EVENT_ATTRIBUTE]: name, ...properties } = r.attributes;
                    return { name: typeof name === 'string' ? name : '', properties };
                });
        },
        close: async () => {
            await meterProvider.shutdown();
            await loggerProvider.shutdown();
        },
    };
}

/** Sums the points of one metric whose dimensions include `where`. */
export function total(points: readonly Point[], name: string, where: Record<string, string> = {}): number {
    return points
        .filter((p) => p.name === name && Object.entries(where).every(([k, v]) => p.attributes[k] === v))
        .reduce((sum, p) => sum + (p.count ?? p.value), 0);
}
