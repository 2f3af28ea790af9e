/** A request target as logs may show it: the path alone, since the query may carry a key (`code=`). */
export function pathWithoutQuery(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart < 0 ? url : url.slice(0, queryStart);
}
