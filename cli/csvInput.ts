import { Readable } from 'node:stream';

import { parse } from 'csv-parse';

import { UnreadableInput } from '../shared/signin/envelope';
import { fromEntraDownloadRow, isEntraDownload } from './entraDownloadRow';
import type { InputSeen } from './inputSeen';

/** A CSV record (a row, with its quoted newlines) longer than this is not read: Entra's rows are a few KB. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Rows handed on at a time: as many as a hub batch, so that the pipeline sees the same batches as for NDJSON. */
const ROWS_PER_YIELD = 256;

/**
 * A column name as the record's field: trimmed (the admin center writes "Application ID " with a space), and without
 * the " [UTC]" Log Analytics adds to every datetime column in "Export to CSV" ("TimeGenerated [UTC]"), whose values
 * are then UTC. Any other zone in brackets stays, so that such a column is never read as UTC.
 */
export function csvColumnName(header: string): string {
    return header.trim().replace(/ \[UTC\]$/, '');
}

/**
 * Reads a CSV export row by row (csv-parse: RFC 4180 quoting, quoted newlines, a byte-order mark), each row a record
 * keyed by its column: Log Analytics' PascalCase columns (SigninLogs, AADNonInteractiveUserSignInLogs, AuditLogs,
 * dynamic columns as JSON text), read as Log Analytics rows by the parser, or the Entra admin center's download,
 * mapped to the Graph `signIn` shape here. A row the CSV syntax breaks ends the file as one rejected record; the rows
 * before it count.
 */
export async function* readCsv(source: AsyncIterable<Buffer>, seen?: InputSeen): AsyncGenerator<unknown[]> {
    let entra = false;
    const parser = parse({
        bom: true,
        columns: (header: string[]) => {
            const columns = header.map(csvColumnName);
            entra = isEntraDownload(columns);
            if (seen) {
                seen.columns = columns;
                seen.kind = entra ? 'entra-download-csv' : 'csv';
            }
            return columns;
        },
        relax_column_count: true,
        skip_empty_lines: true,
        max_record_size: MAX_RECORD_BYTES,
    });
    const rows = Readable.from(source).pipe(parser);
    let out: unknown[] = [];
    try {
        for await (const row of rows as AsyncIterable<Record<string, string>>) {
            out.push(entra ? fromEntraDownloadRow(row) : row);
            if (out.length >= ROWS_PER_YIELD) {
                yield out;
                out = [];
            }
        }
    } catch (e) {
        out.push(
            new UnreadableInput('invalid-csv', `the CSV cannot be read on: ${(e as Error).message.slice(0, 200)}`),
        );
    }
    if (out.length > 0) yield out;
}
