using Dataset.Service.Apis;
using Dataset.Service.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseHeadsErrorHandling();
app.UseRequestBodyLimit();
app.MapDefaultEndpoints();
app.MapApiExplorer();
app.MapDiagnosticsApi();
app.MapHeadsApi();
app.MapDatasetsApi();

app.Run();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
