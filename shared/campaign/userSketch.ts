import { createHash } from 'node:crypto';

/**
 * How many distinct users a source reached, in a fixed 1,024 bytes whatever their number: a HyperLogLog sketch
 * (Flajolet et al., 2007) of 2^10 registers, about 3% standard error. A source row lists a bounded number of users by
 * name and counts the rest here. Adding a user twice, or merging two sketches in any order, gives the same sketch:
 * redelivery and concurrent writers never inflate the count.
 */
const P = 10;
const M = 1 << P;
/** The bias correction for m = 1024 (the paper's α_m = 0.7213 / (1 + 1.079 / m)). */
const ALPHA = 0.7213 / (1 + 1.079 / M);

export type UserSketch = Uint8Array;

export function emptySketch(): UserSketch {
    return new Uint8Array(M);
}

/** The register and rank of a user: 64 bits of SHA-256 of their id, 10 for the register, the rest for the rank. */
function hashOf(userId: string): { register: number; rank: number } {
    const digest = createHash('sha256').update(userId).digest();
    const register = ((digest[0]! << 8) | digest[1]!) >>> (16 - P);
    // The rank is the position of the first 1 bit in the next 54 bits (1-based); all zeros rank 55.
    let rank = 1;
    for (let bit = P; bit < 64; bit++) {
        if ((digest[bit >> 3]! >> (7 - (bit & 7))) & 1) return { register, rank };
        rank++;
    }
    return { register, rank };
}

export function addUser(sketch: UserSketch, userId: string): void {
    const { register, rank } = hashOf(userId);
    if (rank > sketch[register]!) sketch[register] = rank;
}

/** Register by register maximum: the sketch of the union. */
export function mergeSketch(into: UserSketch, other: UserSketch): void {
    for (let i = 0; i < M; i++) if (other[i]! > into[i]!) into[i] = other[i]!;
}

/** The estimated distinct users, with the small-range correction (linear counting) the paper gives. */
export function estimateUsers(sketch: UserSketch): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
        sum += 2 ** -sketch[i]!;
        if (sketch[i] === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
}

/** Stored as base64 (1,368 characters); anything that is not a sketch reads as empty. */
export function sketchToText(sketch: UserSketch): string {
    return Buffer.from(sketch).toString('base64');
}

export function sketchFromText(text: unknown): UserSketch {
    if (typeof text !== 'string') return emptySketch();
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== M) return emptySketch();
    const sketch = new Uint8Array(bytes);
    // A register holds a rank of at most 55: anything larger is not ours.
    return sketch.every((r) => r <= 55) ? sketch : emptySketch();
}
