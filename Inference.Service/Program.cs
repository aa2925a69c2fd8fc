using Inference.Service.Apis;
using Inference.Service.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseHeadsErrorHandling();
// The 3D viewer (wwwroot/index.html) at /.
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapDefaultEndpoints();
app.MapApiExplorer();
app.MapDiagnosticsApi();
app.MapPredictionsApi();
app.MapHeadsApi();
app.MapModelsApi();
app.MapSamplesApi();

app.Run();
