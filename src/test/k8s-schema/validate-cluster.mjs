// Reads one CloudNativePG Cluster as JSON on stdin and checks it against the Cluster API as
// published in @kubernetes-models/cloudnative-pg (generated from CloudNativePG's API types):
//  - the package's own validator: types, enums, formats and required fields;
//  - every field name, at every depth, against the properties the API's type declares there
//    (the validator alone lets unknown fields through, as the API server would prune them
//    silently: a misspelt "synchronous" would quietly leave replication asynchronous).
// Prints "valid", or every problem and exits 1.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Cluster } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const problems = [];

/** The properties of the first interface declared in a .d.ts file, with the file each type comes from. */
function declaration(file) {
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    const spec = m[2];
    const path = spec.startsWith(".") ? resolve(dirname(file), spec.replace(/\.js$/, ".d.ts")) : join(modules, spec + ".d.ts");
    imports.set(m[1], path);
  }
  const body = text.match(/export interface \w+(?: extends [\w, ]+)? \{([\s\S]*?)\n\}/);
  const props = new Map();
  if (body) {
    // Top-level members only (four spaces in): "name"?: Type; or a map type opening a block.
    for (const m of body[1].matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) {
      props.set(m[1], m[2] === "{" ? "map" : m[2]);
    }
  }
  if (/extends TypeMeta/.test(text)) {
    props.set("apiVersion", "string");
    props.set("kind", "string");
  }
  return { props, imports };
}

function check(value, file, path) {
  if (value === null || typeof value !== "object") {
    return;
  }
  if (!existsSync(file)) {
    problems.push(`${path}: no type declaration at ${file}`);
    return;
  }
  const { props, imports } = declaration(file);
  if (props.size === 0) {
    return; // a map or a free-form object (for example postgresql.parameters)
  }
  for (const [key, child] of Object.entries(value)) {
    const type = props.get(key);
    if (type === undefined) {
      problems.push(`${path}.${key}: unknown field (known: ${[...props.keys()].join(", ")})`);
      continue;
    }
    const element = type.match(/^Array<(\w+)>$/);
    const name = element ? element[1] : type;
    if (imports.has(name)) {
      const next = imports.get(name);
      if (element && Array.isArray(child)) {
        child.forEach((item, i) => check(item, next, `${path}.${key}[${i}]`));
      } else if (!Array.isArray(child)) {
        check(child, next, `${path}.${key}`);
      }
    }
  }
}

const doc = JSON.parse(readFileSync(0, "utf8"));
try {
  new Cluster(doc).validate();
} catch (e) {
  problems.push(e.message);
}
check(doc, join(modules, "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster.d.ts"), "Cluster");
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("valid");
