import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

/** The OCF release whose schemas are vendored in ./schema (its README says where they come from). */
export const OCF_VERSION = '1.2.0';
export const OCF_SCHEMA_BASE = `https://schema.opencaptablecoalition.com/v/${OCF_VERSION}/`;

const SCHEMA_DIR = fileURLToPath(new URL('./schema/', import.meta.url));

// ajv-formats is CommonJS: imported from ESM, its plugin is the module's `default` property.
const addFormats = formats.default;

/** The file types this service reads and writes, and their schemas' paths under the base. */
export const FILE_SCHEMAS = {
  OCF_MANIFEST_FILE: 'files/OCFManifestFile.schema.json',
  OCF_STAKEHOLDERS_FILE: 'files/StakeholdersFile.schema.json',
  OCF_STOCK_CLASSES_FILE: 'files/StockClassesFile.schema.json',
  OCF_STOCK_LEGEND_TEMPLATES_FILE: 'files/StockLegendTemplatesFile.schema.json',
  OCF_STOCK_PLANS_FILE: 'files/StockPlansFile.schema.json',
  OCF_VESTING_TERMS_FILE: 'files/VestingTermsFile.schema.json',
  OCF_VALUATIONS_FILE: 'files/ValuationsFile.schema.json',
  OCF_TRANSACTIONS_FILE: 'files/TransactionsFile.schema.json',
} as const;
export type FileType = keyof typeof FILE_SCHEMAS;

function schemaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? schemaFiles(join(dir, entry.name)) : entry.name.endsWith('.schema.json') ? [join(dir, entry.name)] : [],
  );
}

/** An ajv error as one line: where in the value, and what is wrong. */
function describe(errors: readonly ErrorObject[] | null | undefined): string {
  const error = errors?.[0];
  if (error === undefined) return 'does not match its schema';
  const where = error.instancePath === '' ? '' : `${error.instancePath} `;
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)})`
      : error.keyword === 'enum'
        ? ` (${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')})`
        : '';
  return `${where}${error.message ?? 'is invalid'}${extra}`;
}

/**
 * The vendored OCF schemas, every one added to ajv by its `$id`, so that each `$ref` resolves to its
 * copy here and never to the network. Objects are judged by the schema of their `object_type`.
 */
export class OcfSchemas {
  private readonly ajv: Ajv;
  private readonly objectSchemas = new Map<string, string>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    // Not strict: the schemas are the Coalition's, written for ajv's defaults, not for this project's lint of schemas.
    this.ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(this.ajv);
    for (const path of schemaFiles(SCHEMA_DIR)) {
      const schema = JSON.parse(readFileSync(path, 'utf8')) as {
        $id: string;
        properties?: { object_type?: { const?: string; enum?: string[] } };
      };
      this.ajv.addSchema(schema);
      // Most objects name their type by `const`; a few that kept an older name beside it, by `enum`.
      const { const: objectType, enum: objectTypes = [] } = schema.properties?.object_type ?? {};
      if (!schema.$id.startsWith(`${OCF_SCHEMA_BASE}objects/`)) continue;
      for (const type of objectType === undefined ? objectTypes : [objectType]) this.objectSchemas.set(type, schema.$id);
    }
  }

  private validator(id: string): ValidateFunction {
    let validate = this.compiled.get(id);
    if (validate === undefined) {
      validate = this.ajv.getSchema(id);
      if (validate === undefined) throw new Error(`Expected the vendored OCF schema ${id}`);
      this.compiled.set(id, validate);
    }
    return validate;
  }

  /** The object types the vendored schemas define. */
  get objectTypes(): string[] {
    return [...this.objectSchemas.keys()];
  }

  /** What is wrong with `value` as an OCF object (by its object_type), or undefined when the schema takes it. */
  objectProblem(value: unknown): string | undefined {
    const type = (value as { object_type?: unknown } | null)?.object_type;
    const id = typeof type === 'string' ? this.objectSchemas.get(type) : undefined;
    if (id === undefined) return `object_type ${JSON.stringify(type)?.slice(0, 80)} is not an OCF ${OCF_VERSION} object type`;
    const validate = this.validator(id);
    return validate(value) ? undefined : describe(validate.errors);
  }

  /**
   * What is wrong with `value` as an OCF file of `type`, or undefined: the first of its items the
   * schema of its object_type rejects, named by its id, else the file's own fields.
   */
  fileProblem(type: FileType, value: unknown): string | undefined {
    const items = (value as { items?: unknown } | null)?.items;
    if (type !== 'OCF_MANIFEST_FILE' && Array.isArray(items)) {
      for (const [index, item] of items.entries()) {
        const problem = this.objectProblem(item);
        if (problem !== undefined) {
          const id = (item as { id?: unknown } | null)?.id;
          return `item ${index}${typeof id === 'string' ? ` (id ${JSON.stringify(id.slice(0, 80))})` : ''}: ${problem}`;
        }
      }
    }
    const validate = this.validator(OCF_SCHEMA_BASE + FILE_SCHEMAS[type]);
    return validate(value) ? undefined : describe(validate.errors);
  }
}
