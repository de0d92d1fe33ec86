// Starts GraphiQL against this server's /graphql, with the Headers tab open
// and showing where the bearer token goes. Served by Releasedesk itself.
(function () {
  var fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", window.location.href).href });
  var headers = JSON.stringify({ Authorization: "Bearer paste-your-rdk-token-here" }, null, 2);
  var query =
    "# Welcome to Releasedesk.\n" +
    "# Put your API token (rdk_…) in the Headers tab below, then run this:\n\n" +
    "{\n  me { id name email roles }\n}\n";
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: query,
      defaultHeaders: headers,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: true,
      isHeadersEditorEnabled: true,
    })
  );
})();
