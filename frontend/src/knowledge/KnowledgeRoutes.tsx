export function KnowledgeRoutes() {
  return <div className="page"><h1>Knowledge</h1></div>;
}
