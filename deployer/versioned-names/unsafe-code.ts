/**
 * Code that would let a version load or name something the migration cannot see: `eval`, `new
 * Function`, a `require`/`import()` of a computed path, and imports that leave the version's folder
 * (each version is moved into a folder of its own with its module graph).
 */
import path from 'node:path';
import { Node, type SourceFile } from 'ts-morph';
import { problemAt, quote, type CodeProblem } from './code-problem.js';
import { isModuleLoad } from './version-sources.js';

export function findUnsafeCode(file: SourceFile, root: string): CodeProblem[] {
  const problems: CodeProblem[] = [];
  const directory = path.dirname(file.getFilePath());
  const checkSpecifier = (node: Node, specifier: string): void => {
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) return;
    const target = path.relative(root, path.resolve(directory, specifier));
    if (target.startsWith('..') || path.isAbsolute(target)) {
      problems.push(problemAt(root, node, `imports "${specifier}", outside the app's folder: a version is moved into a folder of its own, so its code must all be inside its app (or in an npm package)`));
    }
  };
  file.forEachDescendant((node) => {
    if (Node.isImportDeclaration(node) || Node.isExportDeclaration(node)) {
      const specifier = node.getModuleSpecifierValue();
      if (specifier !== undefined) checkSpecifier(node, specifier);
    } else if (Node.isCallExpression(node) || Node.isNewExpression(node)) {
      const callee = node.getExpression();
      const calleeName = Node.isIdentifier(callee) ? callee.getText() : undefined;
      if (calleeName === 'eval' || calleeName === 'Function') {
        problems.push(problemAt(root, node, `${quote(node)}: ${calleeName === 'eval' ? 'eval' : 'Function'} runs code the migration cannot read or rewrite`));
      } else if (isModuleLoad(node)) {
        const [argument] = node.getArguments();
        if (argument !== undefined && (Node.isStringLiteral(argument) || Node.isNoSubstitutionTemplateLiteral(argument))) {
          checkSpecifier(node, argument.getLiteralValue());
        } else {
          problems.push(problemAt(root, node, `${quote(node)}: the module it loads is computed at run time, so the migration cannot follow it (load modules by a literal path)`));
        }
      }
    }
  });
  return problems;
}
