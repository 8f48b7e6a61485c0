import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildSampleStream } from '../test/support/sampleStream';

// Regenerates the bundled sample (npm run sample); a test checks that the committed file matches.
writeFileSync(join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson'), buildSampleStream());
