import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One name a part's index.ts exports, and who imports it from outside the part. */
export interface FaceExport {
  part: string;
  name: string;
  /** Marked `@public` in the index (API for users outside this repository). */
  public: boolean;
  users: string[];
}

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'boundary-violation') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The part a file belongs to (`src/<part>/…`), or null outside src (tests, benchmarks, scripts). */
function partOf(file: string): string | null {
  const m = /^src\/([^/]+)\//.exec(relative(root, file));
  return m ? (m[1] as string) : null;
}

/** Names a part's index.ts exports (`export { a, type B } from …`, `export function …`), with `@public` marks. */
function faceNames(part: string): Map<string, boolean> {
  const file = join(root, 'src', part, 'index.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const names = new Map<string, boolean>();
  for (const statement of source.statements) {
    const marked =
      ts.getJSDocTags(statement).some((t) => t.tagName.text === 'public') ||
      /@public\b/.test(statement.getFullText().slice(0, statement.getLeadingTriviaWidth()));
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        const elementMarked = /@public\b/.test(element.getFullText().slice(0, element.getLeadingTriviaWidth()));
        names.set(element.name.text, marked || elementMarked);
      }
    } else if (ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
      if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) names.set(d.name.text, marked);
      } else {
        const name = (statement as ts.DeclarationStatement).name;
        if (name && ts.isIdentifier(name)) names.set(name.text, marked);
      }
    }
  }
  return names;
}

/** Which face (part) a module specifier in `file` points to, if it is some part's index.ts. */
function faceOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = relative(root, resolve(dirname(file), specifier));
  const m = /^src\/([^/]+)\/index\.ts$/.exec(target);
  return m ? (m[1] as string) : null;
}

/**
 * Every name each part's face exports, with the files outside the part that import it: static
 * imports and re-exports, `import('…')` types in TypeScript and in the page's JSDoc. A namespace
 * import counts as using every name.
 */
export function faceUses(): FaceExport[] {
  const parts = readdirSync(join(root, 'src'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .filter((p) => {
      try {
        readFileSync(join(root, 'src', p, 'index.ts'));
        return true;
      } catch {
        return false;
      }
    });
  const faces = new Map(parts.map((p) => [p, faceNames(p)]));
  const users = new Map<string, Set<string>>();
  const use = (part: string, name: string, file: string): void => {
    const key = `${part}\0${name}`;
    const set = users.get(key) ?? new Set<string>();
    users.set(key, set);
    set.add(relative(root, file));
  };
  const files = ['src', 'test', 'bench', 'scripts'].flatMap((d) => {
    try {
      return sourceFiles(join(root, d));
    } catch {
      return [];
    }
  });
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(
      file,
      text,
      ts.ScriptTarget.Latest,
      true,
      file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS,
    );
    const own = partOf(file);
    const visit = (node: ts.Node): void => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        const part = faceOf(file, node.moduleSpecifier.text);
        if (part !== null && part !== own) {
          if (ts.isImportDeclaration(node)) {
            const bindings = node.importClause?.namedBindings;
            if (bindings && ts.isNamespaceImport(bindings)) for (const name of faces.get(part)?.keys() ?? []) use(part, name, file);
            else if (bindings && ts.isNamedImports(bindings))
              for (const e of bindings.elements) use(part, (e.propertyName ?? e.name).text, file);
          } else if (node.exportClause && ts.isNamedExports(node.exportClause)) {
            for (const e of node.exportClause.elements) use(part, (e.propertyName ?? e.name).text, file);
          }
        }
      }
      if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        const part = faceOf(file, node.argument.literal.text);
        if (part !== null && part !== own && node.qualifier)
          use(part, ts.isIdentifier(node.qualifier) ? node.qualifier.text : node.qualifier.left.getText(), file);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    // JSDoc types in the page's JavaScript: `import('../../telemetry/index.ts').Name`.
    if (file.endsWith('.js')) {
      for (const m of text.matchAll(/import\(['"]([^'"]+)['"]\)\.(\w+)/g)) {
        const part = faceOf(file, m[1] as string);
        if (part !== null && part !== own) use(part, m[2] as string, file);
      }
    }
  }
  const out: FaceExport[] = [];
  for (const [part, names] of faces) {
    for (const [name, isPublic] of names)
      out.push({ part, name, public: isPublic, users: [...(users.get(`${part}\0${name}`) ?? [])].sort() });
  }
  return out;
}
