/**
 * The two rewrites of the migration, on the syntax tree: the new version's durable names get its
 * suffix and its clients start orchestrators through an app setting; a previous version loses
 * what only the newest may register (HTTP and other triggers, durable clients, app-wide set-up).
 */
import { Node, type ExpressionStatement } from 'ts-morph';
import { RouterError } from '../../shared/errors/router-error.js';
import type { RouteKey } from '../../shared/versions/version-map.js';
import { problemAt, quote, type CodeProblem } from './code-problem.js';
import { resolveNameLiteral } from './name-literal.js';
import { settingFallback, type VersionAnalysis } from './version-analysis.js';
import { baseNameOf, orchestratorSettingName, versionedName } from './versioned-name.js';

/**
 * Renames every durable name of the version to `<name>_v<major>_<minor>` where its literal is
 * written, and makes each client start read `process.env.DURABLE_ROUTER_ORCHESTRATOR_<name>`
 * first. Returns the settings that point new starts at this version's orchestrators.
 */
export function renameToVersion(analysis: VersionAnalysis, routeKey: RouteKey): Record<string, string> {
  const literals = new Set(analysis.names.map(({ literal }) => literal));
  for (const literal of literals) literal.setLiteralValue(versionedName(literal.getLiteralValue(), routeKey));

  const settings: Record<string, string> = {};
  const owners = new Map<string, string>();
  for (const { site, literal } of analysis.names) {
    if (site.kind !== 'orchestration' || site.site !== 'registration') continue;
    const name = literal.getLiteralValue();
    const base = baseNameOf(name, routeKey);
    const setting = orchestratorSettingName(base);
    const owner = owners.get(setting);
    if (owner !== undefined && owner !== base) {
      throw new RouterError('VERSION_NAMES_CONFLICT', `The orchestrators "${owner}" and "${base}" would both be started through the app setting ${setting}; rename one of them.`);
    }
    owners.set(setting, base);
    settings[setting] = name;
  }

  const checker = analysis.sources.project.getTypeChecker();
  for (const { site } of analysis.names) {
    if (site.site !== 'start' || site.name === undefined) continue;
    const fallback = settingFallback(site.name) ?? site.name;
    const resolved = resolveNameLiteral(fallback, checker);
    if (!resolved.ok) throw new RouterError('INTERNAL', `The start at ${problemAt(analysis.sources.root, site.node, '').at} lost its name while it was rewritten.`);
    const setting = orchestratorSettingName(baseNameOf(resolved.literal.getLiteralValue(), routeKey));
    site.name.replaceWithText(`process.env.${setting} ?? ${fallback.getText()}`);
  }
  return settings;
}

/** Takes out of a previous version every registration but its orchestrators, activities and entities. */
export function removeOtherRegistrations(analysis: VersionAnalysis): void {
  const statements: ExpressionStatement[] = [];
  const problems: CodeProblem[] = [];
  for (const other of analysis.others) {
    const statement = other.node.getParent();
    if (statement !== undefined && Node.isExpressionStatement(statement)) statements.push(statement);
    else problems.push(problemAt(analysis.sources.root, other.node, `${quote(other.node)}: write the registration as a statement of its own, so that it can be left out of the earlier version`));
  }
  if (problems.length > 0) {
    throw new RouterError(
      'VERSION_NAMES_UNSAFE',
      `The app in ${analysis.sources.root} registers functions where the migration cannot take them out:\n${problems.map((problem) => `  ${problem.at}: ${problem.message}`).join('\n')}`,
      { details: { app: analysis.sources.root, problems: problems.map((problem) => ({ ...problem })) } },
    );
  }
  for (const statement of statements) statement.remove();
}
