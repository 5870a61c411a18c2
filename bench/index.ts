import { benchAnalytics } from './analytics.js';
import { benchApi } from './api.js';
import { benchCampaign } from './campaign.js';
import { benchImport } from './import.js';
import { benchSegments } from './segments.js';
import { benchPredict } from './predict.js';

/** `npm run bench -- <name> [options]`: benchmarks that print ratios against a baseline measured in the same run. */
const BENCHES: Record<string, (args: string[]) => Promise<void>> = {
  analytics: benchAnalytics,
  api: benchApi,
  campaign: benchCampaign,
  import: benchImport,
  segments: benchSegments,
  predict: benchPredict,
};

const [name = 'import', ...args] = process.argv.slice(2);
const bench = BENCHES[name];
if (!bench) {
  process.stderr.write(`unknown benchmark "${name}" (one of: ${Object.keys(BENCHES).join(', ')})\n`);
  process.exit(1);
}
await bench(args);
