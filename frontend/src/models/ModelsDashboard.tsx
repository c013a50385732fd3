export function ModelsDashboard() {
  return <div className="page"><h1>Models</h1></div>;
}
