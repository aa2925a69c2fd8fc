using System.Net;

namespace Dataset.Service.Tests;

public sealed class ServiceSurfaceTests(ServiceFixture service)
{
    [Fact]
    public async Task Health_and_the_OpenAPI_document_answer_and_list_the_dataset_endpoints()
    {
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/health")).StatusCode);
        var openApi = await service.Client.GetStringAsync("/openapi/v1.json");
        foreach (var path in (string[])["/api/v1/heads", "/api/v1/heads/rejected", "/api/v1/datasets", "/api/v1/datasets/imports", "/api/v1/datasets/{id}", "/api/v1/datasets/{id}/files/{name}"])
            Assert.Contains($"\"{path}\"", openApi);
    }
}
