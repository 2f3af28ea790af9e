/**
 * What one version's code registers and calls, each durable name followed to the literal that
 * holds it. Everything the migration cannot rewrite safely is collected and refused at once, each
 * problem with its file and line.
 */
import { Node, type Expression } from 'ts-morph';
import { RouterError } from '../../shared/errors/router-error.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import { problemAt, quote, type CodeProblem } from './code-problem.js';
import { findSites, type DurableKind, type NameSite, type OtherRegistration } from './durable-sites.js';
import { resolveNameLiteral, type NameLiteral } from './name-literal.js';
import { findUnsafeCode } from './unsafe-code.js';
import { baseNameOf } from './versioned-name.js';
import type { VersionSources } from './version-sources.js';

export interface ResolvedSite {
  readonly site: NameSite;
  readonly literal: NameLiteral;
}

export interface VersionAnalysis {
  readonly sources: VersionSources;
  readonly names: readonly ResolvedSite[];
  /** Non-durable registrations and app-wide set-up. */
  readonly others: readonly OtherRegistration[];
  /** The names of the non-durable functions, where they are literals. */
  readonly otherNames: readonly string[];
}

export type DurableFunctions = Readonly<Record<DurableKind, readonly string[]>>;

/**
 * @param routeKey the version's major.minor when its names are to be versioned: names already
 *   carrying its suffix are the same functions (so that the migration is idempotent).
 */
export function analyzeVersion(sources: VersionSources, routeKey?: RouteKey): VersionAnalysis {
  const checker = sources.project.getTypeChecker();
  const problems: CodeProblem[] = [];
  const names: ResolvedSite[] = [];
  const others: OtherRegistration[] = [];
  const otherNames: string[] = [];
  for (const file of sources.files) {
    problems.push(...findUnsafeCode(file, sources.root));
    const sites = findSites(file);
    for (const site of sites.names) {
      const expression = site.site === 'start' && site.name !== undefined ? settingFallback(site.name) ?? site.name : site.name;
      if (expression === undefined) {
        problems.push(problemAt(sources.root, site.node, `${quote(site.node)}: the ${site.kind} name is not given as the first argument`));
        continue;
      }
      const resolved = resolveNameLiteral(expression, checker);
      if (!resolved.ok) {
        const where = problemAt(sources.root, resolved.node, '').at;
        const at = problemAt(sources.root, site.node, '').at;
        problems.push(problemAt(sources.root, site.node, `${quote(site.node)}: the ${site.kind} name ${resolved.reason}${where === at ? '' : ` (${where})`}; write it as a string literal or a constant`));
      } else if (!isInVersion(sources, resolved.literal)) {
        problems.push(problemAt(sources.root, site.node, `${quote(site.node)}: the ${site.kind} name is declared outside the app's own code (${resolved.literal.getSourceFile().getFilePath()})`));
      } else {
        names.push({ site, literal: resolved.literal });
      }
    }
    for (const other of sites.others) {
      others.push(other);
      const resolved = other.name === undefined ? undefined : resolveNameLiteral(other.name, checker);
      if (resolved?.ok === true) otherNames.push(resolved.literal.getLiteralValue());
    }
  }
  problems.push(...unknownReferences(sources.root, names, routeKey));
  if (problems.length > 0) throw unsafe(sources.root, problems);
  return { sources, names, others, otherNames };
}

/** The deployed names a version registers, by kind, as they are now in its code. */
export function registeredFunctions(analysis: VersionAnalysis): DurableFunctions {
  const byKind: Record<DurableKind, Set<string>> = { orchestration: new Set(), activity: new Set(), entity: new Set() };
  for (const { site, literal } of analysis.names) if (site.site === 'registration') byKind[site.kind].add(literal.getLiteralValue());
  return { orchestration: [...byKind.orchestration].sort(), activity: [...byKind.activity].sort(), entity: [...byKind.entity].sort() };
}

/**
 * The fallback of a start this migration already rewrote, `process.env.SETTING ?? 'Name_v1_3'`,
 * so that a second run finds the same name.
 */
export function settingFallback(expression: Expression): Expression | undefined {
  if (!Node.isBinaryExpression(expression) || expression.getOperatorToken().getText() !== '??') return undefined;
  const left = expression.getLeft();
  if (!Node.isPropertyAccessExpression(left)) return undefined;
  const env = left.getExpression();
  if (!Node.isPropertyAccessExpression(env) || env.getName() !== 'env' || env.getExpression().getText() !== 'process') return undefined;
  return expression.getRight();
}

/** A call of a function the version does not register would fail at run time, versioned or not. */
function unknownReferences(root: string, names: readonly ResolvedSite[], routeKey: RouteKey | undefined): CodeProblem[] {
  const key = (kind: DurableKind, name: string): string => {
    const base = routeKey === undefined ? name : baseNameOf(name, routeKey);
    // Entity ids hold their name in lower case: `new EntityId('Counter')` is the entity `counter`.
    return `${kind}:${kind === 'entity' ? base.toLowerCase() : base}`;
  };
  const registered = new Set(names.filter(({ site }) => site.site === 'registration').map(({ site, literal }) => key(site.kind, literal.getLiteralValue())));
  return names
    .filter(({ site, literal }) => site.site !== 'registration' && !registered.has(key(site.kind, literal.getLiteralValue())))
    .map(({ site, literal }) =>
      problemAt(root, site.node, `${quote(site.node)}: no ${site.kind} "${literal.getLiteralValue()}" is registered by this version, so the migration cannot tell which function it means`),
    );
}

function isInVersion(sources: VersionSources, literal: NameLiteral): boolean {
  return sources.files.includes(literal.getSourceFile());
}

function unsafe(root: string, problems: readonly CodeProblem[]): RouterError {
  const shown = problems.slice(0, 20).map((problem) => `  ${problem.at}: ${problem.message}`);
  const more = problems.length > shown.length ? [`  ... and ${problems.length - shown.length} more`] : [];
  return new RouterError(
    'VERSION_NAMES_UNSAFE',
    `The app in ${root} has code the versioned-names migration cannot rewrite safely:\n${[...shown, ...more].join('\n')}`,
    { details: { app: root, problems: problems.map((problem) => ({ ...problem })) } },
  );
}
