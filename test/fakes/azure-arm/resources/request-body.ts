/**
 * Checks of request bodies as ARM makes them: a field of the wrong type, a missing required one or
 * an invalid tag is a 400 naming the field, before anything changes.
 */
import { armLevelError, badRequest, type ArmError } from '../protocol/arm-error.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body of a PUT or PATCH: a JSON object. */
export function requireBody(body: unknown): JsonObject {
  if (body === undefined) throw armLevelError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the request has no body.');
  if (!isObject(body)) throw armLevelError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: the body is not a JSON object.');
  return body;
}

export function requireLocation(body: JsonObject): string {
  const location = body['location'];
  if (location === undefined || location === null || location === '') throw armLevelError(400, 'LocationRequired', 'The location property is required for this definition.');
  if (typeof location !== 'string') throw fieldType('location', 'a string');
  return location;
}

export function optionalString(object: JsonObject, field: string, path = field): string | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fieldType(path, 'a string');
  return value;
}

export function optionalBoolean(object: JsonObject, field: string, path = field): boolean | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw fieldType(path, 'true or false');
  return value;
}

export function optionalObject(object: JsonObject, field: string, path = field): JsonObject | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fieldType(path, 'an object');
  return value;
}

export function optionalInteger(object: JsonObject, field: string, path = field): number | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw fieldType(path, 'a whole number');
  return value;
}

/** ARM's tag rules: at most 50, names up to 512 characters without < > % & \ ? /, values up to 256. */
export function optionalTags(object: JsonObject, field = 'tags'): Record<string, string> | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fieldType(field, 'an object of strings');
  const entries = Object.entries(value);
  if (entries.length > 50) throw armLevelError(400, 'InvalidTag', `A resource takes at most 50 tags, not ${entries.length}.`);
  const tags: Record<string, string> = {};
  for (const [name, tagValue] of entries) {
    if (name === '' || name.length > 512 || /[<>%&\\?/]/.test(name)) {
      throw armLevelError(400, 'InvalidTagNameCharacters', `The tag name '${name.slice(0, 64)}' is not valid: 1 to 512 characters, none of < > % & \\ ? /.`);
    }
    if (typeof tagValue !== 'string') throw fieldType(`${field}.${name}`, 'a string');
    if (tagValue.length > 256) throw armLevelError(400, 'InvalidTag', `The value of the tag '${name}' is longer than 256 characters.`);
    tags[name] = tagValue;
  }
  return tags;
}

export function fieldType(path: string, expected: string): ArmError {
  return badRequest(`The request body is not valid: '${path}' must be ${expected}.`, 'InvalidRequestContent');
}
