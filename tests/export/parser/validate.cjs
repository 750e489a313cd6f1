// Validates AsyncAPI documents with the official JavaScript parser
// (@asyncapi/parser 3.6, installed by `cargo xtask parser-setup` into
// <target>/asyncapi-parser; ASYNCAPI_PARSER_DIR names that folder).
//
//   node validate.cjs FILE...
//
// Prints one JSON line per file: {"file", "errors": [{code, message, path}]}
// (error-level diagnostics only). Exits 0 when it could check every file.
const path = require('node:path');
const fs = require('node:fs');

const dir = process.env.ASYNCAPI_PARSER_DIR;
if (!dir) {
  console.error('ASYNCAPI_PARSER_DIR is not set');
  process.exit(2);
}
const { Parser } = require(path.resolve(dir, 'node_modules', '@asyncapi', 'parser'));

(async () => {
  const parser = new Parser();
  for (const file of process.argv.slice(2)) {
    const { diagnostics } = await parser.parse(fs.readFileSync(file, 'utf8'), { source: file });
    const errors = diagnostics
      .filter((d) => d.severity === 0)
      .map((d) => ({ code: d.code, message: d.message, path: (d.path || []).join('/') }));
    console.log(JSON.stringify({ file, errors }));
  }
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
