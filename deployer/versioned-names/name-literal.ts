/**
 * Follows an expression that names a durable function to the one string literal that holds the
 * name, through constants, object properties, enums, imports, re-exports and CommonJS exports, so
 * that the name is rewritten where it is written. Anything whose value is only known at run time
 * (a parameter, a `let`, a concatenation, a call) is refused with the reason.
 */
import { Node, type NoSubstitutionTemplateLiteral, type StringLiteral, type TypeChecker, VariableDeclarationKind } from 'ts-morph';

export type NameLiteral = StringLiteral | NoSubstitutionTemplateLiteral;

export type NameResolution =
  | { readonly ok: true; readonly literal: NameLiteral }
  | { readonly ok: false; readonly node: Node; readonly reason: string };

const maxSteps = 32;

export function resolveNameLiteral(expression: Node, checker: TypeChecker): NameResolution {
  return resolve(expression, checker, 0);
}

function resolve(node: Node, checker: TypeChecker, steps: number): NameResolution {
  if (steps > maxSteps) return refuse(node, 'refers through too many names to follow');
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return { ok: true, literal: node };
  if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node) || Node.isNonNullExpression(node) || Node.isTypeAssertion(node)) {
    return resolve(node.getExpression(), checker, steps + 1);
  }
  if (Node.isIdentifier(node) || Node.isPropertyAccessExpression(node)) {
    const nameNode = Node.isPropertyAccessExpression(node) ? node.getNameNode() : node;
    let symbol = nameNode.getSymbol();
    if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
    const declarations = symbol?.getDeclarations() ?? [];
    if (declarations.length === 0) return refuse(node, `${node.getText()} is not declared in the app's code the tool reads`);
    if (declarations.length > 1) return refuse(node, `${node.getText()} is assigned in more than one place`);
    return resolveDeclaration(declarations[0] as Node, checker, steps + 1);
  }
  if (Node.isTemplateExpression(node) || Node.isBinaryExpression(node)) return refuse(node, 'is computed at run time');
  if (Node.isCallExpression(node)) return refuse(node, 'is the result of a call, known only at run time');
  return refuse(node, 'is not a string literal or a constant holding one');
}

function resolveDeclaration(declaration: Node, checker: TypeChecker, steps: number): NameResolution {
  if (Node.isVariableDeclaration(declaration)) {
    if (declaration.getVariableStatement()?.getDeclarationKind() !== VariableDeclarationKind.Const && !isConstList(declaration)) {
      return refuse(declaration, `${declaration.getName()} is a let or var, so it may change at run time (declare it const)`);
    }
    const initializer = declaration.getInitializer();
    return initializer === undefined ? refuse(declaration, `${declaration.getName()} has no value`) : resolve(initializer, checker, steps);
  }
  if (Node.isEnumMember(declaration) || Node.isPropertyAssignment(declaration)) {
    const initializer = declaration.getInitializer();
    return initializer === undefined ? refuse(declaration, `${declaration.getName()} has no string value`) : resolve(initializer, checker, steps);
  }
  if (Node.isShorthandPropertyAssignment(declaration)) {
    const valueDeclaration = checker.getShorthandAssignmentValueSymbol(declaration)?.getDeclarations()[0];
    if (valueDeclaration === undefined) return refuse(declaration, `${declaration.getName()} is not declared in the app's code the tool reads`);
    return resolveDeclaration(valueDeclaration, checker, steps + 1);
  }
  // CommonJS: `exports.name = 'x'`, `module.exports.name = 'x'`
  const assignment = Node.isBinaryExpression(declaration) ? declaration : declaration.getParent();
  if (assignment !== undefined && Node.isBinaryExpression(assignment) && assignment.getOperatorToken().getText() === '=') {
    return resolve(assignment.getRight(), checker, steps);
  }
  if (Node.isParameterDeclaration(declaration)) return refuse(declaration, `${declaration.getName()} is a parameter, known only at run time`);
  return refuse(declaration, 'is not a string literal or a constant holding one');
}

/** `const a = 'x', b = 'y'` inside a for statement or elsewhere without a statement. */
function isConstList(declaration: Node): boolean {
  const list = declaration.getParent();
  return list !== undefined && Node.isVariableDeclarationList(list) && list.getDeclarationKind() === VariableDeclarationKind.Const;
}

function refuse(node: Node, reason: string): NameResolution {
  return { ok: false, node, reason };
}
