// Function calling: which function the fake calls for a request with `tools`, and with which arguments.
// The fake always calls exactly one function per choice (the first tool, or the one `tool_choice`
// names); the arguments fill the function's required parameters with a placeholder of their type, so
// a client that reads the required fields finds them (bounds, patterns and formats are not honoured).
// Only requests with `tools` come here: the plain text path never pays for it.

/** The function to call, its arguments as JSON text, or why `tools`/`tool_choice` is invalid. */
export type ToolPick =
  | { ok: true; name: string; arguments: string }
  | { ok: false; message: string; param: 'tools' | 'tool_choice'; code: string | null };

const MAX_DEPTH = 8;

/** A JSON value's type as OpenAI's messages name it ("an array", "a decimal number", …). */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal number';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A value of the schema's type: `const`, else the first `enum` value, else a fixed one per type. */
function placeholder(schema: unknown, depth: number): unknown {
  if (!isObject(schema) || depth > MAX_DEPTH) return null;
  if ('const' in schema) return schema['const'];
  const choices = schema['enum'];
  if (Array.isArray(choices) && choices.length > 0) return choices[0];
  const t = schema['type'];
  const type = Array.isArray(t) ? (t.find((x) => x !== 'null') ?? 'null') : t;
  switch (type) {
    case 'string':
      return 'lorem';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return requiredOf(schema, depth);
    case 'null':
      return null;
  }
  const branches = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(branches) && branches.length > 0) return placeholder(branches[0], depth + 1);
  return isObject(schema['properties']) ? requiredOf(schema, depth) : null;
}

/** An object holding the schema's required properties (only those: optional ones are left out). */
function requiredOf(schema: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const required = schema['required'];
  if (!Array.isArray(required)) return out;
  const properties = isObject(schema['properties']) ? schema['properties'] : {};
  for (const key of required) {
    if (typeof key === 'string') out[key] = placeholder(properties[key], depth + 1);
  }
  return out;
}

function invalid(param: 'tools' | 'tool_choice', message: string, code: string): ToolPick {
  return { ok: false, message, param, code };
}

/**
 * What a request with `tools` gets: undefined when `tools` is absent (or null) or `tool_choice` is
 * "none" (a text answer), else the function to call or the validation error (OpenAI's messages).
 */
export function pickTool(tools: unknown, toolChoice: unknown): ToolPick | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) {
    return invalid(
      'tools',
      `Invalid type for 'tools': expected an array, but got ${typeName(tools)} instead.`,
      'invalid_type',
    );
  }
  if (tools.length === 0) {
    return invalid(
      'tools',
      "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'empty_array',
    );
  }
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    if (!isObject(tool)) {
      return invalid(
        'tools',
        `Invalid type for 'tools[${i}]': expected an object, but got ${typeName(tool)} instead.`,
        'invalid_type',
      );
    }
    if (tool['type'] !== 'function') {
      return invalid(
        'tools',
        `Invalid value for 'tools[${i}].type': the fake LLM supports only 'function' tools.`,
        'invalid_value',
      );
    }
    const fn = tool['function'];
    if (!isObject(fn) || typeof fn['name'] !== 'string' || fn['name'].length === 0) {
      return invalid(
        'tools',
        `Missing required parameter: 'tools[${i}].function.name'.`,
        'missing_required_parameter',
      );
    }
  }
  let chosen = tools[0] as { function: Record<string, unknown> };
  if (toolChoice === 'none') return undefined;
  if (isObject(toolChoice)) {
    const fn = toolChoice['function'];
    const name = isObject(fn) ? fn['name'] : undefined;
    if (toolChoice['type'] !== 'function' || typeof name !== 'string') {
      return invalid(
        'tool_choice',
        'Invalid value for \'tool_choice\': the fake LLM supports "none", "auto", "required" or {"type": "function", "function": {"name": ...}}.',
        'invalid_value',
      );
    }
    const named = (tools as { function: Record<string, unknown> }[]).find((t) => t.function['name'] === name);
    if (named === undefined) {
      return invalid(
        'tool_choice',
        `Invalid value for 'tool_choice': function ${JSON.stringify(name)} is not one of the 'tools'.`,
        'invalid_value',
      );
    }
    chosen = named;
  } else if (
    toolChoice !== undefined &&
    toolChoice !== null &&
    toolChoice !== 'auto' &&
    toolChoice !== 'required'
  ) {
    return invalid(
      'tool_choice',
      `Invalid value for 'tool_choice': expected "none", "auto", "required" or a function, but got ${typeof toolChoice === 'string' ? JSON.stringify(toolChoice) : typeName(toolChoice)} instead.`,
      'invalid_value',
    );
  }
  const parameters = chosen.function['parameters'];
  return {
    ok: true,
    name: chosen.function['name'] as string,
    arguments: JSON.stringify(isObject(parameters) ? requiredOf(parameters, 0) : {}),
  };
}
