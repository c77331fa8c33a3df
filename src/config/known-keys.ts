import { configJsonSchema } from './json-schema.ts';

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
}

let root: SchemaNode | undefined;

/**
 * The keys piper.yaml allows in the object at `path` (`['migration']` → steps, stepDuration, …),
 * read from the same JSON Schema editors complete from, so that an unknown key can be answered
 * with the key that was meant. Empty when the path leads nowhere the schema describes.
 */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  root ??= configJsonSchema() as SchemaNode;
  let nodes: SchemaNode[] = [root];
  for (const key of path) {
    nodes = nodes.flatMap(alternatives).flatMap((node): SchemaNode[] => {
      if (typeof key === 'number') return node.items ? [node.items] : [];
      const named = node.properties?.[String(key)];
      if (named) return [named];
      return typeof node.additionalProperties === 'object' ? [node.additionalProperties] : [];
    });
  }
  return [...new Set(nodes.flatMap(alternatives).flatMap((node) => Object.keys(node.properties ?? {})))];
}

function alternatives(node: SchemaNode): SchemaNode[] {
  const options = [...(node.anyOf ?? []), ...(node.oneOf ?? [])];
  return options.length === 0 ? [node] : options.flatMap(alternatives);
}
