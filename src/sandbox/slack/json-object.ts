export type JsonObject = Record<string, unknown>;

/** A JSON object (not null, not an array): what Slack means by "object" in a payload. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
