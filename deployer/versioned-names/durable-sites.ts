/**
 * Where a v4-model app names durable functions, found on its syntax tree. Calls are recognised by
 * the durable-functions 3.x method names (plain JavaScript carries no types to go by), registrations
 * by their receiver, `app` (of `@azure/functions` or `durable-functions`) or `<x>.app`.
 */
import { Node, type CallExpression, type Expression, type NewExpression, type SourceFile } from 'ts-morph';

export type DurableKind = 'orchestration' | 'activity' | 'entity';

export type NameSite =
  /** `df.app.orchestration(name, ...)`, `app.generic(name, { trigger: df.trigger.activity() })`, ... */
  | { readonly site: 'registration'; readonly kind: DurableKind; readonly node: CallExpression; readonly name: Expression | undefined }
  /** `callActivity(name)`, `callSubOrchestrator(name)`, `new df.EntityId(name, key)`, ... */
  | { readonly site: 'reference'; readonly kind: DurableKind; readonly node: CallExpression | NewExpression; readonly name: Expression | undefined }
  /** A client's `startNew(name, ...)`. */
  | { readonly site: 'start'; readonly kind: 'orchestration'; readonly node: CallExpression; readonly name: Expression | undefined };

/** Any other function an app registers (HTTP, timer, durable clients...) or app-wide set-up. */
export interface OtherRegistration {
  readonly node: CallExpression;
  readonly method: string;
  readonly name: Expression | undefined;
}

const referenceMethods: Readonly<Record<string, DurableKind>> = {
  callActivity: 'activity',
  callActivityWithRetry: 'activity',
  callSubOrchestrator: 'orchestration',
  callSubOrchestratorWithRetry: 'orchestration',
};

const registrationMethods: Readonly<Record<string, DurableKind>> = { orchestration: 'orchestration', activity: 'activity', entity: 'entity' };

const triggerTypes: Readonly<Record<string, DurableKind>> = {
  orchestrationTrigger: 'orchestration',
  activityTrigger: 'activity',
  entityTrigger: 'entity',
};

/** Methods of `app` that register nothing and stay in every version. */
const keptAppMembers = new Set(['hook']);

export interface FileSites {
  readonly names: NameSite[];
  readonly others: OtherRegistration[];
}

export function findSites(file: SourceFile): FileSites {
  const names: NameSite[] = [];
  const others: OtherRegistration[] = [];
  file.forEachDescendant((node) => {
    if (Node.isNewExpression(node)) {
      const callee = node.getExpression();
      const calleeName = Node.isIdentifier(callee) ? callee.getText() : Node.isPropertyAccessExpression(callee) ? callee.getName() : undefined;
      if (calleeName === 'EntityId') names.push({ site: 'reference', kind: 'entity', node, name: firstArgument(node) });
      return;
    }
    if (!Node.isCallExpression(node)) return;
    const callee = node.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return;
    const method = callee.getName();
    const receiver = callee.getExpression();
    const referenceKind = referenceMethods[method];
    if (referenceKind !== undefined) {
      names.push({ site: 'reference', kind: referenceKind, node, name: firstArgument(node) });
    } else if (method === 'startNew') {
      names.push({ site: 'start', kind: 'orchestration', node, name: firstArgument(node) });
    } else if (isAppObject(receiver)) {
      const kind = registrationMethods[method] ?? (method === 'generic' ? genericTriggerKind(node) : undefined);
      if (kind !== undefined) names.push({ site: 'registration', kind, node, name: firstArgument(node) });
      else if (!keptAppMembers.has(method)) others.push({ node, method, name: firstArgument(node) });
    } else if (Node.isPropertyAccessExpression(receiver) && receiver.getName() === 'client' && isAppObject(receiver.getExpression())) {
      others.push({ node, method: `client.${method}`, name: firstArgument(node) });
    }
  });
  return { names, others };
}

function firstArgument(node: CallExpression | NewExpression): Expression | undefined {
  const [first] = node.getArguments();
  return first === undefined || Node.isSpreadElement(first) ? undefined : (first as Expression);
}

/** `app`, `df.app`, or a named import of `app` under another name. */
function isAppObject(node: Node): boolean {
  if (Node.isPropertyAccessExpression(node)) return node.getName() === 'app';
  if (!Node.isIdentifier(node)) return false;
  if (node.getText() === 'app') return true;
  const declaration = node.getSymbol()?.getDeclarations()[0];
  return declaration !== undefined && Node.isImportSpecifier(declaration) && declaration.getName() === 'app';
}

function lastName(node: Node): string | undefined {
  if (Node.isIdentifier(node)) return node.getText();
  return Node.isPropertyAccessExpression(node) ? node.getName() : undefined;
}

/** The durable kind of `app.generic(name, { trigger })`, if its trigger is a durable one. */
function genericTriggerKind(call: CallExpression): DurableKind | undefined {
  const options = call.getArguments()[1];
  if (options === undefined || !Node.isObjectLiteralExpression(options)) return undefined;
  const trigger = options.getProperty('trigger');
  if (trigger === undefined || !Node.isPropertyAssignment(trigger)) return undefined;
  const value = trigger.getInitializer();
  if (value !== undefined && Node.isCallExpression(value)) {
    const callee = value.getExpression();
    // df.trigger.orchestration(), trigger.activity(), ...
    if (Node.isPropertyAccessExpression(callee) && lastName(callee.getExpression()) === 'trigger') return registrationMethods[callee.getName()];
  }
  if (value !== undefined && Node.isObjectLiteralExpression(value)) {
    const type = value.getProperty('type');
    const literal = type !== undefined && Node.isPropertyAssignment(type) ? type.getInitializer() : undefined;
    if (literal !== undefined && Node.isStringLiteral(literal)) return triggerTypes[literal.getLiteralValue()];
  }
  return undefined;
}
