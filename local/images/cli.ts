// `npm run images [-- --group conformance]`: builds every image the local cluster runs (or a
// group's), cached, one line per image.
import { parseArgs } from 'node:util';
import { ensureImages } from './build.ts';
import { imageNames, type ImageGroup } from './catalog.ts';

const started = Date.now();
try {
  const { values } = parseArgs({ options: { group: { type: 'string' } }, strict: true });
  if (values.group !== undefined && values.group !== 'conformance')
    throw new Error(`unknown image group "${values.group}" (known: conformance)`);
  const group = values.group as ImageGroup | undefined;
  const images = await ensureImages(
    (line) => console.log(`images: ${line}`),
    group ? imageNames(group) : undefined,
  );
  const width = Math.max(...images.map((i) => i.name.length));
  for (const i of images) {
    const mb = `${(i.size / 1e6).toFixed(1)} MB`.padStart(9);
    const state = i.cached ? 'cached' : 'built ';
    const what = i.standIn ? `  [stand-in] ${i.note ?? ''}` : i.note ? `  (${i.note})` : '';
    console.log(`  ${i.name.padEnd(width)}  ${i.digest.slice(0, 19)}  ${mb}  ${state}${what}`);
  }
  const standIns = images.filter((i) => i.standIn).length;
  console.log(
    `images: ${images.length} ready (${standIns} stand-ins) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (err) {
  console.error(`images: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
