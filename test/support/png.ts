import { inflateSync } from 'node:zlib';

/** A decoded PNG: width, height and RGBA pixels. */
export interface Pixels {
    readonly width: number;
    readonly height: number;
    /** Four bytes a pixel, row by row. */
    readonly rgba: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
    const p = a + b - c;
    const pa = Math.abs(p - a);
    const pb = Math.abs(p - b);
    const pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes the PNGs a browser's screenshot makes (8-bit RGB or RGBA, not interlaced), so that a test can look at the
 * pixels instead of trusting the file's size. Anything else is refused.
 */
export function decodePng(png: Buffer): Pixels {
    if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
    let offset = 8;
    let width = 0;
    let height = 0;
    let channels = 0;
    const data: Buffer[] = [];
    while (offset < png.length) {
        const length = png.readUInt32BE(offset);
        const type = png.toString('latin1', offset + 4, offset + 8);
        const body = png.subarray(offset + 8, offset + 8 + length);
        if (type === 'IHDR') {
            width = body.readUInt32BE(0);
            height = body.readUInt32BE(4);
            const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
            if (depth !== 8 || interlace !== 0 || (colour !== 2 && colour !== 6)) {
                throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
            }
            channels = colour === 6 ? 4 : 3;
        } else if (type === 'IDAT') {
            data.push(body);
        }
        offset += 12 + length;
    }
    const raw = inflateSync(Buffer.concat(data));
    const stride = width * channels;
    const out = new Uint8Array(width * height * 4);
    let prev = new Uint8Array(stride);
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)]!;
        const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        const cur = new Uint8Array(stride);
        for (let i = 0; i < stride; i++) {
            const a = i >= channels ? cur[i - channels]! : 0;
            const b = prev[i]!;
            const c = i >= channels ? prev[i - channels]! : 0;
            const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
            if (predictor === undefined) throw new Error(`bad PNG filter ${filter}`);
            cur[i] = (line[i]! + predictor) & 0xff;
        }
        for (let x = 0; x < width; x++) {
            for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = cur[x * channels + k]!;
            out[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3]! : 255;
        }
        prev = cur;
    }
    return { width, height, rgba: out };
}

/** Share of pixels for which `test(r, g, b)` holds. */
export function share(p: Pixels, test: (r: number, g: number, b: number) => boolean): number {
    let n = 0;
    for (let i = 0; i < p.rgba.length; i += 4) if (test(p.rgba[i]!, p.rgba[i + 1]!, p.rgba[i + 2]!)) n++;
    return n / (p.width * p.height);
}
