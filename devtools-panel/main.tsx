import { render } from "preact";

function Panel() {
  return (
    <main>
      <h1>SyncLens</h1>
      <p>No SyncLens client on this page.</p>
    </main>
  );
}

render(<Panel />, document.getElementById("app")!);
