namespace IstioPodNetwork.Kube.Watching;

/// <summary>What a watch event says happened to its object (the API's ADDED, MODIFIED, DELETED and BOOKMARK).</summary>
public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
    Bookmark,
}
